// The sandbox's saves as its state grows: save latency (p50/p99) and the process's RSS with 1 MiB, 32 MiB and
// 128 MiB of saved bills in its state file, and at 128 MiB with a greedy account set alongside (saving and
// resetting as fast as it can, so that the file is compacted again and again). `pnpm bench` runs it as one of its
// parts; `node bench/sandbox-saves.js [MiB …]` runs it alone and prints its table.
//
// For each size, a state file is written directly (the whole-state JSON of @qzz/mock 0.2, which every version
// since loads), spread over account sets that stay within the default limits; the mock's CLI starts on it in a
// child process (so its RSS is its own, under the heap ceiling the README recommends), stops, and starts again on
// the file it left; then one more account set saves small bills one after another over HTTP. Every server listens
// on loopback; every loop is bounded.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { listActions } from '@qzz/spec/actions';
// How the mock's tests start its CLI in a child process.
import { startCli } from '../packages/mock/test/helpers.js';

const doc = JSON.parse(await readFile(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
/** The order execution's save (the guide's flow), by its kind and path rather than its name. */
const SAVE = listActions(doc).find((a) => a.kind.startsWith('save') && a.wirePath.includes('/mxoc_0001_mxoc_pq/'));
if (!SAVE) throw new Error('the bundle has no order-execution save');

const MiB = 2 ** 20;
/** The ceiling the package README recommends for a sandbox reachable by others. */
const HEAP_FLAG = '--max-old-space-size=512';
/** Each held bill: about 16 KiB of text in `remark`; 14 of them per account set stay within its 256 KiB default budget. */
const BILL_TEXT = 16 * 1024;
const BILLS_PER_SET = 14;

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const round = (n, digits = 1) => Number(n.toFixed(digits));

/** A version-1 state file holding about `bytes` of saved bills. */
async function writeState(file, bytes) {
  const pattern = '售后项目 spare parts ';
  const text = pattern.repeat(Math.floor((BILL_TEXT - 256) / Buffer.byteLength(pattern)));
  const sets = [];
  let id = 7_000_000_000_000_000_000n;
  for (let held = 0, s = 0; held < bytes; s += 1) {
    const bills = [];
    for (let b = 0; b < BILLS_PER_SET && held < bytes; b += 1) {
      const billno = `SBX-20260101-${String(b + 1).padStart(4, '0')}`;
      id += 1n;
      const bill = { id: String(id), billno, form: null, schema: null, data: { id: String(id), billno, remark: text } };
      bills.push(bill);
      held += Buffer.byteLength(JSON.stringify(bill));
    }
    sets.push({ groupName: `bench-${s}`, accountid: 'bench', bills });
  }
  await writeFile(file, JSON.stringify({ format: 'qzz-mock-sandbox-state', version: 1, accountSets: sets }));
  return sets.length;
}

/** The mock's CLI on `state`, in a child process under the heap ceiling; resolves once it listens. */
async function mockProcess(state) {
  const started = performance.now();
  const mock = await startCli(['--sandbox', '--state', state, '--port', '0', '--quiet'], { nodeOptions: [HEAP_FLAG] });
  const startup = performance.now() - started;
  const rss = async () => Number(/VmRSS:\s+([0-9]+) kB/.exec(await readFile(`/proc/${mock.child.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  return { url: mock.url, startup, rss, close: mock.stop };
}

/** Saves and resets over HTTP, as account set `group`. */
function callsAs(url, group) {
  const headers = { groupName: group, accountid: 'bench', 'X-GW-Router-Addr': 'https://tf.jdy.com', 'content-type': 'application/json' };
  return {
    async save(billdata) {
      const res = await fetch(`${url}${SAVE.wirePath}?access_token=bench`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ operation: 'save', billdata }),
      });
      const answer = await res.json();
      if (res.status !== 200 || answer.success !== true) throw new Error(`a save was answered ${res.status}: ${JSON.stringify(answer)}`);
    },
    reset: async () => (await fetch(`${url}/__sandbox/reset?access_token=bench`, { method: 'POST', headers })).json(),
  };
}

/**
 * One account set saving a bill as large as its budget allows and resetting, over and over, until `stop()`:
 * the records it leaves dead make the state file due for compaction again and again. Counts the compactions
 * (each one puts a new file in place).
 */
function greedyAccountSet(url, state) {
  const greedy = callsAs(url, 'bench-greedy');
  const remark = 'g'.repeat(240 * 1024);
  let stopped = false;
  const files = new Set();
  const watcher = setInterval(() => stat(state).then((s) => files.add(s.ino)), 20);
  const done = (async () => {
    while (!stopped) {
      await greedy.save({ remark });
      await greedy.reset();
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
      clearInterval(watcher);
      return Math.max(0, files.size - 1);
    },
  };
}

/**
 * Sequential saves of a small bill by an account set of its own, against the sandbox on a state of `bytes`
 * (with a greedy account set alongside, when asked). Stops after `saves` calls or `seconds`, whichever comes first.
 */
async function savesAt(bytes, { greedy = false, saves = greedy ? 100_000 : 200, warmup = 10, seconds = greedy ? 20 : 60 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'qzz-bench-saves-'));
  try {
    const state = join(dir, 'state.json');
    const sets = await writeState(state, bytes);
    // The first start reads the file as an older version wrote it (and rewrites it in its own format); the one
    // measured is a restart on the file the mock left.
    await (await mockProcess(state)).close();
    const mock = await mockProcess(state);
    const rssLoaded = await mock.rss();
    const rssSamples = [rssLoaded];
    const sampler = setInterval(() => mock.rss().then((v) => rssSamples.push(v)), 100);
    const saver = callsAs(mock.url, 'bench-saver');
    for (let i = 0; i < warmup; i++) await saver.save({ mxoc_projectname: `warm-up ${i}` });
    const rival = greedy ? greedyAccountSet(mock.url, state) : undefined;
    // The account set that saves is reset before it nears its own budget: the figure is about the others' state.
    const times = [];
    const deadline = performance.now() + seconds * 1000;
    for (let i = 0; i < saves && performance.now() < deadline; i++) {
      if (i % 100 === 99) await saver.reset();
      const t = performance.now();
      await saver.save({ mxoc_projectname: `bench ${i}` });
      times.push(performance.now() - t);
    }
    const compactions = await rival?.stop();
    clearInterval(sampler);
    const rssAfter = await mock.rss();
    await mock.close();
    const sorted = [...times].sort((a, b) => a - b);
    return {
      state: `${round(bytes / MiB, 0)} MiB${greedy ? `, a greedy account set alongside (${compactions} compactions)` : ''}`,
      sets,
      fileMiB: round((await stat(state)).size / MiB),
      startup: round(mock.startup / 1000, 2),
      saves: times.length,
      p50: round(quantile(sorted, 0.5), 1),
      p99: round(quantile(sorted, 0.99), 1),
      rssLoaded: round(rssLoaded, 0),
      rssPeak: round(Math.max(...rssSamples, rssAfter), 0),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Save latency and RSS at each state size, then at the largest with a greedy account set alongside. */
export async function sandboxSaves({ sizes = [1, 32, 128] } = {}) {
  const rows = [];
  for (const size of sizes) rows.push(await savesAt(size * MiB));
  rows.push(await savesAt(Math.max(...sizes) * MiB, { greedy: true }));
  return rows;
}

/** The results table (results.md). */
export const sandboxSavesTable = (rows, table) =>
  table(
    ['state', 'account sets', 'file MiB after', 'start-up s', 'saves', 'p50 ms', 'p99 ms', 'RSS loaded MiB', 'RSS peak MiB'],
    rows.map((r) => [r.state, r.sets, r.fileMiB, r.startup, r.saves, r.p50, r.p99, r.rssLoaded, r.rssPeak]),
  );

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number);
  const rows = await sandboxSaves(sizes.length ? { sizes } : {});
  const table = (head, body) =>
    [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(sandboxSavesTable(rows, table));
}
