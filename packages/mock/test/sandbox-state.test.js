// The sandbox's state file (`--state`): every change on disk before its answer, loaded at start, never
// overwritten when it is not ours, and whole after a SIGKILL.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listActions } from '@qzz/spec/actions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMock } from '../src/index.js';
import { loadState } from '../src/sandbox/persistence.js';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const actions = listActions(doc);
const push = actions.find((a) => a.kind === 'push' && a.from && a.examples.response && !a.path.includes('backup_operate'));
const save = actions.find((a) => a.kind.startsWith('save') && a.path.startsWith(push.path.split('/').slice(0, 3).join('/')));
const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

const accountSet = (groupName) => ({ groupName, accountid: '7', 'X-GW-Router-Addr': 'https://tf.jdy.com' });
const A = accountSet('a');
const B = accountSet('b');

async function post(url, action, body, as = A) {
  const res = await fetch(`${url}${action.wirePath}?access_token=t`, {
    method: 'POST',
    headers: { ...as, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const saveBill = async (url, billdata, as) => (await post(url, save, { operation: 'save', billdata }, as)).body;
const billsOf = async (url, as = A) => (await (await fetch(`${url}/__sandbox/bills?access_token=t`, { headers: as })).json()).bills;

let dir;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qzz-state-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('--state', () => {
  it('a restart keeps every bill, of every account set, and a reset', async () => {
    const file = join(dir, 'restart.json');
    const first = await startMock({ port: 0, sandbox: true, state: file });
    const savedA = [];
    const savedB = [];
    for (let i = 0; i < 5; i++) {
      savedA.push((await saveBill(first.url, { mxoc_projectname: `A${i}` }, A)).data);
      savedB.push((await saveBill(first.url, { mxoc_projectname: `B${i}` }, B)).data);
    }
    const before = { a: await billsOf(first.url, A), b: await billsOf(first.url, B) };
    await first.close();

    const second = await startMock({ port: 0, sandbox: true, state: file });
    try {
      expect(await billsOf(second.url, A)).toEqual(before.a);
      expect(await billsOf(second.url, B)).toEqual(before.b);
      const draft = (await post(second.url, push, { operation: 'push', entryPk: savedA[3].id, billdata: { id: savedA[3].id } })).body.data;
      expect(draft.material_entity[0].srcbillno).toBe(savedA[3].billno);
      // New ids never repeat the loaded ones, and numbering goes on where it stopped.
      const next = (await saveBill(second.url, {}, A)).data;
      expect(savedA.map((b) => b.id)).not.toContain(next.id);
      expect(savedA.map((b) => b.billno)).not.toContain(next.billno);
      await fetch(`${second.url}/__sandbox/reset?access_token=t`, { method: 'POST', headers: B });
    } finally {
      await second.close();
    }
    const third = await startMock({ port: 0, sandbox: true, state: file });
    try {
      expect((await billsOf(third.url, B)).map((b) => b.id)).not.toContain(savedB[0].id);
      expect((await billsOf(third.url, A)).map((b) => b.id)).toContain(savedA[0].id);
    } finally {
      await third.close();
    }
  });

  it('50 concurrent saves share writes, and every one of them is in the file', async () => {
    const file = join(dir, 'concurrent.json');
    const mock = await startMock({ port: 0, sandbox: true, state: file });
    let saved;
    try {
      saved = await Promise.all(Array.from({ length: 50 }, (_, i) => saveBill(mock.url, { mxoc_projectname: `C${i}` }, A)));
    } finally {
      await mock.close();
    }
    const ids = saved.map((answer) => answer.data.id);
    expect(new Set(ids).size).toBe(50);
    const held = new Map((await loadState(file))?.find((s) => s.groupName === 'a')?.bills.map((b) => [b.id, b]));
    for (const [i, answer] of saved.entries()) expect(held.get(answer.data.id)?.data.mxoc_projectname).toBe(`C${i}`);
  });

  it('refuses to start on a file that is not its own, and leaves it as it is', async () => {
    /** @type {Array<[name: string, text: string, reason: RegExp]>} */
    const cases = [
      ['notes.txt', 'my notes, not JSON', /not JSON/],
      ['other.json', JSON.stringify({ hello: 'world' }), /"format": "qzz-mock-sandbox-state"/],
      ['future.json', JSON.stringify({ format: 'qzz-mock-sandbox-state', version: 99, accountSets: [] }), /version 99/],
      ['broken.json', JSON.stringify({ format: 'qzz-mock-sandbox-state', version: 1, accountSets: [{ groupName: 'a' }] }), /accountSets/],
    ];
    for (const [name, text, reason] of cases) {
      const file = join(dir, name);
      await writeFile(file, text);
      const before = await stat(file);
      await expect(startMock({ port: 0, sandbox: true, state: file })).rejects.toThrow(reason);
      await expect(startMock({ port: 0, sandbox: true, state: file })).rejects.toThrow(/left as it is/);
      expect(await readFile(file, 'utf8')).toBe(text);
      expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
    }
    const folder = join(dir, 'a-folder');
    await mkdir(folder);
    await expect(startMock({ port: 0, sandbox: true, state: folder })).rejects.toThrow(/Cannot read the sandbox state file/);
    await expect(startMock({ port: 0, sandbox: true, state: join(dir, 'no-such-folder', 'state.json') })).rejects.toThrow(
      /its folder does not exist/,
    );
  });

  it('the CLI stops with the reason and a non-zero status', async () => {
    const file = join(dir, 'cli-foreign.json');
    await writeFile(file, '{"not": "ours"}');
    const child = spawn(process.execPath, [CLI, '--sandbox', '--state', file, '--port', '0', '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/not a sandbox state file of @qzz\/mock/);
    expect(await readFile(file, 'utf8')).toBe('{"not": "ours"}');
  });

  it('a change it cannot write is answered 503 and not kept', async () => {
    const folder = join(dir, 'vanishing');
    await mkdir(folder);
    const mock = await startMock({ port: 0, sandbox: true, state: join(folder, 'state.json') });
    try {
      const kept = (await saveBill(mock.url, {}, A)).data;
      const held = await billsOf(mock.url);
      await rm(folder, { recursive: true });
      const res = await post(mock.url, save, { operation: 'save', billdata: {} });
      expect(res.status).toBe(503);
      expect(res.body.description).toMatch(/could not write its state file/);
      expect(await billsOf(mock.url)).toEqual(held);
      expect(held.map((b) => b.id)).toContain(kept.id);
    } finally {
      await mock.close();
    }
  });

  it('SIGKILL in the middle of a burst of writes leaves a loadable file holding every answered change', async () => {
    const file = join(dir, 'killed.json');
    const child = spawn(process.execPath, [CLI, '--sandbox', '--state', file, '--port', '0', '--quiet'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`the mock exited (${code}) before listening`)));
    });
    const answered = [];
    let killed = false;
    // Eight writers in parallel, each saving until the process is gone; the kill comes after 120 answers.
    const writer = async (n) => {
      for (let i = 0; !killed; i++) {
        try {
          const answer = await saveBill(url, { mxoc_projectname: `w${n}-${i}` }, n % 2 ? A : B);
          answered.push({ id: answer.data.id, as: n % 2 ? 'a' : 'b' });
          if (answered.length >= 120 && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        } catch {
          return; // the process is gone: the request was never answered
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, n) => writer(n)));
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode ? resolve(undefined) : child.on('exit', resolve)));
    expect(child.signalCode).toBe('SIGKILL');
    expect(answered.length).toBeGreaterThanOrEqual(120);

    const sets = await loadState(file);
    const held = new Map(sets?.map((s) => [s.groupName, new Set(s.bills.map((b) => b.id))]));
    for (const { id, as } of answered) expect(held.get(as)?.has(id), `${as}:${id}`).toBe(true);
    // And the sandbox starts on it.
    const restarted = await startMock({ port: 0, sandbox: true, state: file });
    try {
      const ids = new Set((await billsOf(restarted.url, A)).map((b) => b.id));
      for (const { id, as } of answered) if (as === 'a') expect(ids.has(id)).toBe(true);
    } finally {
      await restarted.close();
    }
  });
});
