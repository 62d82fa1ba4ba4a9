// The sandbox's memory limits: reads never store an account set, and saves stop at the account-set and bill
// limits with a business failure that names the limit. The limits are options of createSandbox; here they are
// small, and the sandbox answers over a real HTTP server (every request taken as the named action's, Prism's
// checks left out). Also: a read of a saved bill whose fields cannot answer the read's schema, on a bundle changed
// to make that happen.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listActions } from '@qzz/spec/actions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, MAX_ACCOUNT_SETS, MAX_BILLS_PER_ACCOUNT_SET } from '../src/sandbox/index.js';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const actions = listActions(doc);
const push = actions.find((a) => a.kind === 'push' && a.from && a.examples.response && !a.path.includes('backup_operate'));
const save = actions.find((a) => a.kind.startsWith('save') && a.path.startsWith(push.path.split('/').slice(0, 3).join('/')));
const get = actions.find((a) => a.kind === 'query' && a.response === push.response);

let dir;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qzz-limits-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A sandbox with these options behind a real HTTP server: `POST /<action name>` answers as that action, `/__sandbox/…` its routes. */
async function serve(options) {
  const box = await createSandbox({ doc, ...options });
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const path = String(req.url);
    if (path.startsWith('/__sandbox/')) return box.control(res, { method: String(req.method).toLowerCase(), path, headers: req.headers });
    const action = actions.find((a) => `/${a.name}` === path);
    if (!(await box.answer(res, { action, body: JSON.parse(text), headers: req.headers, output: {} }))) res.writeHead(204).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const as = (group) => ({ groupName: group, accountid: '1' });
  return {
    call: async (action, body, group) =>
      (await fetch(`${url}/${action.name}`, { method: 'POST', headers: as(group), body: JSON.stringify(body) })).json(),
    bills: async (group) => (await (await fetch(`${url}/__sandbox/bills`, { headers: as(group) })).json()).bills,
    reset: async (group) => (await fetch(`${url}/__sandbox/reset`, { method: 'POST', headers: as(group) })).json(),
    close: async () => {
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      await box.close();
    },
  };
}

const saveIn = (sandbox, group) => sandbox.call(save, { operation: 'save', billdata: {} }, group);

describe('limits', () => {
  it('default to the documented constants', () => {
    expect([MAX_ACCOUNT_SETS, MAX_BILLS_PER_ACCOUNT_SET]).toEqual([1000, 10000]);
  });

  it('reads and the bills route never store an account set', async () => {
    const state = join(dir, 'reads.json');
    const sandbox = await serve({ state, maxAccountSets: 1 });
    try {
      const pushBody = doc.components.examples[push.examples.request].value;
      for (let i = 0; i < 20; i += 1) {
        const group = `reader-${i}`;
        expect((await sandbox.bills(group)).length).toBeGreaterThan(0);
        expect((await sandbox.call(get, { id: '1111111111111111111' }, group)).success).toBe(false);
        expect((await sandbox.call(push, pushBody, group)).success).toBe(true);
      }
      // The one account set the limit allows is still free, and it is the only one on disk.
      expect((await saveIn(sandbox, 'writer')).success).toBe(true);
      const file = JSON.parse(await readFile(state, 'utf8'));
      expect(file.accountSets.map((s) => s.groupName)).toEqual(['writer']);
    } finally {
      await sandbox.close();
    }
  });

  it('past the account-set limit a save is a business failure naming the limit; a reset frees a place', async () => {
    const sandbox = await serve({ maxAccountSets: 2 });
    try {
      expect((await saveIn(sandbox, 'a')).success).toBe(true);
      expect((await saveIn(sandbox, 'b')).success).toBe(true);
      const refused = await saveIn(sandbox, 'c');
      expect(refused).toEqual({ success: false, message: expect.stringContaining('at most 2 account sets (its account-set limit)') });
      // The stored account sets keep saving; the refused one holds the starting bills only.
      expect((await saveIn(sandbox, 'a')).success).toBe(true);
      expect((await sandbox.bills('c')).length).toBe((await sandbox.reset('c')).bills);
      await sandbox.reset('b');
      expect((await saveIn(sandbox, 'c')).success).toBe(true);
    } finally {
      await sandbox.close();
    }
  });

  it('past the bill limit a save is a business failure naming the limit; a reset empties the account set', async () => {
    const sandbox = await serve({ maxBillsPerAccountSet: 2 });
    try {
      const start = (await sandbox.bills('a')).length;
      expect((await saveIn(sandbox, 'a')).success).toBe(true);
      expect((await saveIn(sandbox, 'a')).success).toBe(true);
      const refused = await saveIn(sandbox, 'a');
      expect(refused).toEqual({
        success: false,
        message: expect.stringContaining('saved 2 bills, the most the sandbox keeps per account set (its bill limit)'),
      });
      expect((await sandbox.bills('a')).length).toBe(start + 2);
      // Another account set has its own count.
      expect((await saveIn(sandbox, 'b')).success).toBe(true);
      await sandbox.reset('a');
      expect((await saveIn(sandbox, 'a')).success).toBe(true);
    } finally {
      await sandbox.close();
    }
  });
});

describe('read back', () => {
  it('a saved bill whose fields cannot answer the read’s schema is a business failure saying so', async () => {
    const form = push.to;
    // The same bundle, but the read's schema requires a field the saved bill lacks.
    const strict = structuredClone(doc);
    const name = String(String(get.response).split('/').at(-1));
    strict.components.schemas[name].required = ['remark'];
    const sandbox = await serve({ doc: strict });
    try {
      const formSave = actions.find(
        (a) => a.kind.startsWith('save') && a.name !== save.name && !a.select.formid && a.path.startsWith('/mxoc_pom'),
      );
      const lacking = (await sandbox.call(formSave, { operation: 'save', formid: form, billdata: {} }, 'a')).data;
      expect(await sandbox.call(get, { id: lacking.id }, 'a')).toEqual({
        success: false,
        message: `The sandbox holds bill ${lacking.id} of form ${form}, but its fields cannot answer ${name}.`,
      });
      const fitting = (await sandbox.call(formSave, { operation: 'save', formid: form, billdata: { remark: 'r' } }, 'a')).data;
      expect((await sandbox.call(get, { id: fitting.id }, 'a')).data).toMatchObject({ id: fitting.id, remark: 'r' });
    } finally {
      await sandbox.close();
    }
  });
});
