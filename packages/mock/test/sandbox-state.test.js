// The sandbox's state file (`--state`): every change on disk before its answer, loaded at start, never
// overwritten when it is not ours, whole after a SIGKILL, written a record at a time (however large the state),
// kept within bounds as account sets are reset, never written through a planted symlink, left clean by a full
// disk, and holding no change answered 503 (state-log-failures.js makes the writes fail).
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { listActions } from '@qzz/spec/actions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMock } from '../src/index.js';
import { loadState } from '../src/sandbox/persistence.js';
import { startCli } from './helpers.js';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const actions = listActions(doc);
const push = actions.find((a) => a.kind === 'push' && a.from && a.examples.response && !a.path.includes('backup_operate'));
const save = actions.find((a) => a.kind.startsWith('save') && a.path.startsWith(push.path.split('/').slice(0, 3).join('/')));

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const run = promisify(execFile);

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
    const mock = await startCli(['--sandbox', '--state', file, '--port', '0', '--quiet']);
    const { url, child } = mock;
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
    expect((await mock.exited).signal).toBe('SIGKILL');
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

/** A state file as @qzz/mock 0.2 wrote it (version 1: the whole state, one JSON document). */
const writeVersion1 = (file, accountSets) => writeFile(file, JSON.stringify({ format: 'qzz-mock-sandbox-state', version: 1, accountSets }));

/** `count` account sets of `billsEach` bills with `bytes` of text each, ids counting up from `from`. */
function bigSets(count, billsEach, bytes, from = 7_000_000_000_000_000_000n) {
  let id = from;
  return Array.from({ length: count }, (_, s) => ({
    groupName: `big-${s}`,
    accountid: '7',
    bills: Array.from({ length: billsEach }, (_, b) => {
      id += 1n;
      const billno = `SBX-20260101-${String(b + 1).padStart(4, '0')}`;
      return { id: String(id), billno, form: null, schema: null, data: { id: String(id), billno, remark: 'x'.repeat(bytes) } };
    }),
  }));
}

const idsOf = async (file, group) => new Set((await loadState(file))?.find((s) => s.groupName === group)?.bills.map((b) => b.id));

describe('--state, as it grows', () => {
  it('a save writes its own record only, however large the other account sets’ state', async () => {
    const file = join(dir, 'large.json');
    await writeVersion1(file, bigSets(32, 14, 16 * 1024)); // 7 MiB held by others
    const mock = await startCli(['--sandbox', '--state', file, '--port', '0', '--quiet']);
    try {
      const saves = 20;
      const before = { written: await mock.written(), size: (await stat(file)).size };
      for (let i = 0; i < saves; i++) expect((await saveBill(mock.url, { mxoc_projectname: `small ${i}` }, A)).success).toBe(true);
      const written = (await mock.written()) - before.written;
      const grown = (await stat(file)).size - before.size;
      // Each save adds its record (under 2 KiB here) to the file; the process writes little more than that and
      // its answers, never the others' megabytes.
      expect(grown).toBeGreaterThan(0);
      expect(grown).toBeLessThan(saves * 2048);
      expect(written).toBeLessThan(saves * 16 * 1024);
      expect((await idsOf(file, 'big-31')).size).toBe(14);
    } finally {
      await mock.stop();
    }
  });

  it('resets do not grow the file without bound: it is compacted, and keeps every held bill', async () => {
    const file = join(dir, 'compacted.json');
    const mock = await startMock({ port: 0, sandbox: true, state: file });
    const kept = [];
    let largest = 0;
    try {
      for (let i = 0; i < 2; i++) kept.push((await saveBill(mock.url, { remark: `kept ${i}` }, B)).data.id);
      // 40 rounds of two 60 KiB bills and a reset: 4.7 MiB of records, nearly all of them reset.
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < 2; i++) expect((await saveBill(mock.url, { remark: 'y'.repeat(60 * 1024) }, A)).success).toBe(true);
        expect((await (await fetch(`${mock.url}/__sandbox/reset?access_token=t`, { method: 'POST', headers: A })).json()).reset).toBe(true);
        largest = Math.max(largest, (await stat(file)).size);
      }
      kept.push((await saveBill(mock.url, { remark: 'last' }, A)).data.id);
    } finally {
      await mock.close();
    }
    // At most the dead records a compaction waits for (1 MiB), the live ones and what arrives during one.
    expect(largest).toBeLessThan(1.5 * 2 ** 20);
    expect((await stat(file)).size).toBeLessThan(1.5 * 2 ** 20);
    expect([...(await idsOf(file, 'b'))]).toEqual(kept.slice(0, 2));
    expect([...(await idsOf(file, 'a'))]).toEqual(kept.slice(2));
  });

  it('SIGKILL while account sets are reset and the file compacted leaves every answered save after the last reset sent', async () => {
    const file = join(dir, 'killed-compacting.json');
    const mock = await startCli(['--sandbox', '--state', file, '--port', '0', '--quiet']);
    /** @type {{ a: string[], b: string[] }} */
    const answered = { a: [], b: [] };
    let killed = false;
    // A saves and resets in turn (one writer, so the order is known); B saves alongside.
    const cycler = async () => {
      try {
        for (let i = 0; !killed; i++) {
          if (i % 3 === 2) {
            // Forgotten when the reset is sent, not when it is answered: a reset the kill cut off before its answer
            // may still have been applied, taking the saves before it with it.
            answered.a = [];
            await fetch(`${mock.url}/__sandbox/reset?access_token=t`, { method: 'POST', headers: A }).then((r) => r.json());
          } else answered.a.push((await saveBill(mock.url, { remark: 'z'.repeat(100 * 1024) }, A)).data.id);
        }
      } catch {} // the process is gone
    };
    const saver = async () => {
      try {
        while (!killed) {
          answered.b.push((await saveBill(mock.url, { remark: 'b' }, B)).data.id);
          if (answered.b.length >= 150 && !killed) {
            killed = true;
            mock.child.kill('SIGKILL');
          }
        }
      } catch {}
    };
    await Promise.all([cycler(), saver(), saver()]);
    expect((await mock.exited).signal).toBe('SIGKILL');
    const held = { a: await idsOf(file, 'a'), b: await idsOf(file, 'b') };
    for (const id of answered.a) expect(held.a.has(id), id).toBe(true);
    for (const id of answered.b) expect(held.b.has(id), id).toBe(true);
    // A compaction the kill cut short leaves its temporary file (one is put there if the kill came between two);
    // the next start removes it.
    if (!(await readdir(dir)).includes('.killed-compacting.json.tmp'))
      await writeFile(join(dir, '.killed-compacting.json.tmp'), '{"format');
    const restarted = await startMock({ port: 0, sandbox: true, state: file });
    try {
      expect(await readdir(dir)).not.toContain('.killed-compacting.json.tmp');
      const ids = new Set((await billsOf(restarted.url, B)).map((b) => b.id));
      for (const id of answered.b) expect(ids.has(id), id).toBe(true);
    } finally {
      await restarted.close();
    }
  });

  it('a version-1 state file (@qzz/mock 0.2) is loaded and rewritten in the current format', async () => {
    const file = join(dir, 'version1.json');
    const [old] = bigSets(1, 3, 100);
    await writeVersion1(file, [{ ...old, groupName: 'a' }]);
    const mock = await startMock({ port: 0, sandbox: true, state: file });
    try {
      const ids = (await billsOf(mock.url, A)).map((b) => b.id);
      for (const bill of old.bills) expect(ids).toContain(bill.id);
      expect(JSON.parse((await readFile(file, 'utf8')).split('\n')[0])).toEqual({ format: 'qzz-mock-sandbox-state', version: 2 });
    } finally {
      await mock.close();
    }
    const again = await startMock({ port: 0, sandbox: true, state: file });
    try {
      const ids = (await billsOf(again.url, A)).map((b) => b.id);
      for (const bill of old.bills) expect(ids).toContain(bill.id);
    } finally {
      await again.close();
    }
  });
});

describe('--state, attacked', () => {
  it('never writes through a symlink planted at its temporary file', async () => {
    const folder = join(dir, 'planted');
    await mkdir(folder);
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'precious');
    const file = join(folder, 'state.json');
    const temporary = join(folder, '.state.json.tmp');
    await symlink(victim, temporary);
    // A version-1 file: loading it rewrites the state, through the temporary file.
    await writeVersion1(
      file,
      bigSets(1, 1, 10).map((s) => ({ ...s, groupName: 'a' })),
    );
    const mock = await startMock({ port: 0, sandbox: true, state: file });
    try {
      // Planted again while it runs: a compaction (here, after resets) writes the temporary file too.
      await rm(temporary, { force: true });
      await symlink(victim, temporary);
      for (let round = 0; round < 12; round++) {
        await saveBill(mock.url, { remark: 'v'.repeat(100 * 1024) }, B);
        await fetch(`${mock.url}/__sandbox/reset?access_token=t`, { method: 'POST', headers: B });
      }
      expect((await saveBill(mock.url, { remark: 'after' }, A)).success).toBe(true);
    } finally {
      await mock.close();
    }
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect((await lstat(file)).isFile()).toBe(true);
    expect((await idsOf(file, 'a')).size).toBe(2);
  });

  /**
   * Saves 20 KiB bills in turn from `groups` until one is refused (at most `most` saves): the refusal and the saves
   * answered, with their account sets.
   */
  async function saveUntilRefused(url, groups, most) {
    /** @type {{ id: string, group: string }[]} */
    const answered = [];
    for (let i = 0; i < most; i++) {
      const as = accountSet(groups[i % groups.length]);
      const res = await post(url, save, { operation: 'save', billdata: { remark: 'f'.repeat(20 * 1024) } }, as);
      if (res.status !== 200 || res.body.success !== true) return { refused: res, answered };
      answered.push({ id: res.body.data.id, group: as.groupName });
    }
    return { refused: undefined, answered };
  }

  /** Every `answered` save of these account sets is in the state file. */
  async function expectKept(file, answered, groups) {
    const held = new Set((await loadState(file))?.flatMap((s) => s.bills.map((b) => `${s.groupName}:${b.id}`)));
    for (const { id, group } of answered) if (groups.includes(group)) expect(held.has(`${group}:${id}`), id).toBe(true);
  }

  it('a file that cannot grow: the change is answered 503 and not kept, no temporary file is left, and every answered save survives', async () => {
    const folder = join(dir, 'full');
    await mkdir(folder);
    const file = join(folder, 'state.json');
    // Files of at most 512 KiB: past it a write fails (EFBIG) as on a full disk (ENOSPC).
    const mock = await startCli(['--sandbox', '--state', file, '--port', '0', '--quiet'], { fileSizeKiB: 512 });
    let filled;
    try {
      filled = await saveUntilRefused(mock.url, ['f0', 'f1', 'f2', 'f3'], 60);
      expect(filled.refused?.status).toBe(503);
      expect(filled.refused?.body.description).toMatch(/could not write its state file/);
      expect(await readdir(folder)).toEqual(['state.json']);
      // Resets and further saves: still nothing left behind, still up.
      for (const group of ['f0', 'f1'])
        await fetch(`${mock.url}/__sandbox/reset?access_token=t`, { method: 'POST', headers: accountSet(group) });
      await post(mock.url, save, { operation: 'save', billdata: { remark: 'f'.repeat(20 * 1024) } }, accountSet('f2'));
      expect(await readdir(folder)).toEqual(['state.json']);
      expect((await billsOf(mock.url, accountSet('f3'))).length).toBeGreaterThan(0);
    } finally {
      await mock.stop();
    }
    await expectKept(file, filled.answered, ['f2', 'f3']);
  });

  it('a disk that fills (a 2 MiB tmpfs): 503, and a compaction that finds no room leaves no temporary file', async (context) => {
    const disk = join(dir, 'disk');
    await mkdir(disk);
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]);
    } catch (error) {
      return context.skip(`mounting a tmpfs needs root: ${error.message}`);
    }
    try {
      const file = join(disk, 'state.json');
      const groups = Array.from({ length: 12 }, (_, i) => `d${i}`);
      const mock = await startCli(['--sandbox', '--state', file, '--port', '0', '--quiet']);
      let filled;
      try {
        filled = await saveUntilRefused(mock.url, groups, 150);
        expect(filled.refused?.status).toBe(503);
        expect(filled.refused?.body.description).toMatch(/ENOSPC/);
        expect(await readdir(disk)).toEqual(['state.json']);
        // Nine account sets reset: their records, dead now, outweigh the live ones, and the compaction that starts
        // has no room for its temporary file.
        for (const group of groups.slice(0, 9))
          await fetch(`${mock.url}/__sandbox/reset?access_token=t`, { method: 'POST', headers: accountSet(group) });
        await post(mock.url, save, { operation: 'save', billdata: { remark: 'after' } }, accountSet('d11'));
      } finally {
        // A graceful stop: whatever compaction is under way ends first.
        mock.child.kill('SIGTERM');
        await mock.exited;
      }
      expect(await readdir(disk)).toEqual(['state.json']);
      await expectKept(file, filled.answered, ['d9', 'd10', 'd11']);
    } finally {
      await run('umount', [disk]);
    }
  });
});

describe('--state, a write that fails', () => {
  const SCENARIOS = fileURLToPath(new URL('./state-log-failures.js', import.meta.url));

  /**
   * Runs a scenario of state-log-failures.js (the state log and the store, driven as the sandbox's answers drive
   * them) in a child whose files may not pass 64 KiB: what it answered and refused, and the state file it left.
   */
  async function runScenario(scenario) {
    const folder = await mkdtemp(join(dir, `${scenario}-`));
    const file = join(folder, 'state.json');
    const { stdout } = await run('bash', ['-c', 'ulimit -f 64 && exec "$0" "$@"', process.execPath, SCENARIOS, scenario, file]);
    return { file, ...JSON.parse(stdout) };
  }

  /** The saves a restart finds in the state file, as `group:id`. */
  const heldAfterRestart = async (file) =>
    ((await loadState(file)) ?? []).flatMap((s) => s.bills.map((b) => `${s.groupName}:${b.id}`)).sort();
  const keys = (/** @type {{ group: string, id: string }[]} */ saves) => saves.map(({ group, id }) => `${group}:${id}`).sort();

  it('changes copied into the file by a rewrite, then refused: a restart finds none of them and every answered save', async () => {
    const { file, answered, refused, refusedResets, raced } = await runScenario('rewrite');
    // The save of t and the reset of s were in the store when the file was written anew, and their own write failed.
    expect(raced).toBe(true);
    expect(answered.map((s) => s.group)).toEqual(['s', 'a']);
    expect(refused.map((s) => s.group)).toEqual(['x', 't']);
    expect(refusedResets).toEqual(['s']);
    expect(await heldAfterRestart(file)).toEqual(keys(answered));
  });

  it('a write that fails with changes made on top of it waiting: all are refused, and a restart finds none of them', async () => {
    const { file, answered, refused, refusedResets, raced } = await runScenario('behind');
    // The save into s failed while a reset of s and the save of t waited behind it.
    expect(raced).toBe(true);
    expect(refused.map((s) => s.group)).toEqual(['x', 's', 't']);
    expect(refusedResets).toEqual(['s']);
    expect(answered.map((s) => s.group)).toEqual(['s', 'u']);
    expect(await heldAfterRestart(file)).toEqual(keys(answered));
  });

  it('a write refused after part of it reached the file: a restart finds none of its records', async () => {
    const { file, answered, refused } = await runScenario('partial');
    expect(refused.map((s) => s.group)).toEqual(['p', 'p']);
    expect(await heldAfterRestart(file)).toEqual(keys(answered));
  });
});
