// The sandbox's memory limits: reads never store an account set, and saves stop at the account-set, bill and
// byte limits with a business failure that names the limit. The limits are options of createSandbox; here they are
// small, and the sandbox answers over a real HTTP server (every request taken as the named action's, Prism's
// checks left out); one test runs the CLI with its defaults under the heap ceiling the README names. Also: the
// 19-digit ceiling of new ids, and a read of a saved bill whose fields cannot answer the read's schema, on a
// bundle changed to make that happen.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listActions } from '@qzz/spec/actions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, MAX_ACCOUNT_SETS, MAX_BILLS_PER_ACCOUNT_SET, MAX_BYTES_PER_ACCOUNT_SET } from '../src/sandbox/index.js';
import { loadState } from '../src/sandbox/persistence.js';
import { startCli } from './helpers.js';

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
    const action = actions.find((a) => `/${a.name}` === path);
    const answer = path.startsWith('/__sandbox/')
      ? await box.control({ method: String(req.method).toLowerCase(), path, headers: req.headers })
      : await box.answer({ action, body: JSON.parse(text), headers: req.headers, output: {} });
    if (answer) res.writeHead(answer.status, answer.headers).end(answer.body);
    else res.writeHead(204).end();
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

const saveIn = (sandbox, group, billdata = {}) => sandbox.call(save, { operation: 'save', billdata }, group);
const MiB = 2 ** 20;

describe('limits', () => {
  it('default to the documented constants, whose product fits the heap share the README gives the bills', () => {
    expect([MAX_ACCOUNT_SETS, MAX_BILLS_PER_ACCOUNT_SET, MAX_BYTES_PER_ACCOUNT_SET]).toEqual([1000, 10000, 256 * 1024]);
    expect(MAX_ACCOUNT_SETS * MAX_BYTES_PER_ACCOUNT_SET).toBeLessThanOrEqual(256 * MiB);
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
      expect((await loadState(state))?.map((s) => s.groupName)).toEqual(['writer']);
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

describe('the byte budget', () => {
  it('past it a save is a business failure naming the budget; other account sets and a reset are not held back', async () => {
    const sandbox = await serve({ maxBytesPerAccountSet: 64 * 1024 });
    try {
      const remark = 'x'.repeat(20 * 1024);
      for (let i = 0; i < 3; i++) expect((await saveIn(sandbox, 'a', { remark })).success).toBe(true);
      const refused = await saveIn(sandbox, 'a', { remark });
      expect(refused).toEqual({
        success: false,
        message: expect.stringContaining('65536 bytes the sandbox keeps per account set (its byte budget)'),
      });
      expect(refused.message).toContain('POST /__sandbox/reset');
      // A small bill still fits; another account set has a budget of its own.
      expect((await saveIn(sandbox, 'a', { remark: 'short' })).success).toBe(true);
      for (let i = 0; i < 3; i++) expect((await saveIn(sandbox, 'b', { remark })).success).toBe(true);
      // A bill larger than the whole budget is refused, and the empty account set it came from is not stored.
      const start = await sandbox.bills('c');
      expect((await saveIn(sandbox, 'c', { remark: 'x'.repeat(70 * 1024) })).success).toBe(false);
      expect(await sandbox.bills('c')).toEqual(start);
      await sandbox.reset('a');
      expect((await saveIn(sandbox, 'a', { remark })).success).toBe(true);
    } finally {
      await sandbox.close();
    }
  });

  it('under the README’s heap ceiling, the CLI holds 1,000 account sets filled to their budget and stays up', async () => {
    const mock = await startCli(['--sandbox', '--port', '0', '--quiet'], { nodeOptions: ['--max-old-space-size=512'] });
    try {
      const target = `${mock.url}${save.wirePath}?access_token=t`;
      const saveAs = async (group, remark) => {
        const headers = { groupName: group, accountid: '1', 'X-GW-Router-Addr': 'https://tf.jdy.com', 'content-type': 'application/json' };
        const body = JSON.stringify({ operation: 'save', billdata: { remark } });
        return (await fetch(target, { method: 'POST', headers, body })).json();
      };
      // One bill per account set, just within its budget. The one Chinese character makes V8 hold the text with two
      // bytes a character: kept as parsed, 1,000 of these would need 500 MiB of heap.
      const remark = `备${'x'.repeat(MAX_BYTES_PER_ACCOUNT_SET - 8 * 1024)}`;
      let next = 0;
      const answers = [];
      const worker = async () => {
        for (let i = next++; i < MAX_ACCOUNT_SETS; i = next++) answers[i] = (await saveAs(`full-${i}`, remark)).success;
      };
      await Promise.all(Array.from({ length: 4 }, worker));
      expect(answers.filter((ok) => ok !== true)).toEqual([]);
      expect(await saveAs('full-0', 'x'.repeat(16 * 1024))).toMatchObject({
        success: false,
        message: expect.stringContaining('byte budget'),
      });
      expect(await saveAs('one-more', 'x')).toMatchObject({ success: false, message: expect.stringContaining('account-set limit') });
      expect(mock.child.exitCode).toBeNull();
    } finally {
      await mock.stop();
    }
    // 250 MiB through Prism's checks: half a minute when the whole suite shares the machine's two cores.
  }, 180_000);
});

describe('new ids', () => {
  it('never pass 19 digits: the largest signed 64-bit integer is the last one issued, then a save is a business failure', async () => {
    const seedWith = async (id) => {
      const file = join(dir, `seed-${id}.json`);
      await writeFile(file, JSON.stringify({ bills: [{ data: { id } }] }));
      return file;
    };
    // An id in the seed above the ceiling (19 digits still) does not move the counter past it.
    const high = await serve({ seed: await seedWith('9999999999999999999') });
    try {
      const { id } = (await saveIn(high, 'a')).data;
      expect(id).toMatch(/^[0-9]{1,19}$/);
      expect(BigInt(id)).toBeLessThanOrEqual(2n ** 63n - 1n);
    } finally {
      await high.close();
    }
    const last = await serve({ seed: await seedWith(String(2n ** 63n - 2n)) });
    try {
      expect((await saveIn(last, 'a')).data.id).toBe(String(2n ** 63n - 1n));
      expect(await saveIn(last, 'a')).toEqual({ success: false, message: expect.stringContaining('9223372036854775807') });
      expect((await last.bills('a')).length).toBe((await last.bills('b')).length + 1);
    } finally {
      await last.close();
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
