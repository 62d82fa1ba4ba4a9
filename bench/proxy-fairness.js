// `pnpm bench`, part 7 (also runs alone: `node bench/proxy-fairness.js`): how long other callers wait while one
// caller sends heavy exchanges through @qzz/proxy. A light caller sends the seed request one call after another,
// first alone, then while a heavy caller sends, back to back, bodies the checker and the capture must work hard
// on: 80,000 fields (850 KiB) on a known action, the same on a route the spec lacks (captured), and one string of
// 160 KiB (captured, so the capture's masking reads it). The proxy runs as its CLI in a child process with a
// report file and a capture folder; the upstream is a plain local server; the heavy caller runs in a worker
// thread, so that its own work never stalls the light caller's clock.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { proxyProcess } from './proxy-process.js';

const SEED_PATH = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
const SEED_BODY = JSON.stringify({ operation: 'push', entryPk: '1634800180022794240', billdata: { id: '1634800180022794240' } });
const HEADERS = { groupName: 'bench', accountid: 'bench', 'X-GW-Router-Addr': 'https://tf.jdy.com', 'content-type': 'application/json' };
const ANSWER = JSON.stringify({ success: true, reachPlugin: true, errorCode: 'success', data: { id: '1634800180022794240' } });

// The heavy exchanges, by what the heavy caller sends and where. The bodies are built in its worker:
// `manyFields` holds 80,000 short fields no schema lists (`"f1a2b":10`), about 850 KiB, under the 1 MiB the
// proxy checks; the long string has no `@` and no digits, the worst case for a pattern that looks for e-mail
// addresses or phone numbers in text.
const SCENARIOS = [
  { name: '80,000 fields (850 KiB) on a known action', path: SEED_PATH, body: 'manyFields' },
  { name: '80,000 fields (850 KiB) on a route the spec lacks (captured)', path: '/mxoc_bench/heavy_list', body: 'manyFields' },
  { name: 'one 160 KiB string on a route the spec lacks (captured)', path: '/mxoc_bench/long_text', body: 'longString' },
];

/** The heavy caller: sends its body back to back until told to stop, then reports how many it sent. */
const HEAVY_CALLER = `
  const { parentPort, workerData: { url, body, headers } } = require('node:worker_threads');
  const bodies = {
    manyFields: () => JSON.stringify({ operation: 'push', billdata: Object.fromEntries(Array.from({ length: 80000 }, (_, i) => ['f' + i.toString(36).padStart(4, '0'), 10])) }),
    longString: () => JSON.stringify({ note: 'a'.repeat(160 * 1024) }),
  };
  const text = bodies[body]();
  let stop = false;
  parentPort.once('message', () => { stop = true; });
  (async () => {
    let sent = 0;
    while (!stop) {
      await fetch(url, { method: 'POST', headers, body: text }).then((r) => r.arrayBuffer()).catch(() => {});
      sent += 1;
    }
    parentPort.postMessage(sent);
  })();`;

/** An upstream that answers every request with the same small envelope, once it has read the body. */
async function upstreamServer() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER) }).end(ANSWER),
    );
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

const send = (base, path, body) =>
  fetch(`${base}${path}?access_token=bench-token`, { method: 'POST', headers: HEADERS, body }).then((r) => r.arrayBuffer());

/** Latencies (ms) of the light caller's sequential calls until `until()` says stop, and how many failed. */
async function lightCaller(base, until) {
  const times = [];
  let errors = 0;
  while (!until()) {
    const t = performance.now();
    // A failed call (a connection the stalled proxy let go) counts with the time it took.
    await send(base, SEED_PATH, SEED_BODY).catch(() => errors++);
    times.push(performance.now() - t);
  }
  return { times, errors };
}

const summary = ({ times, errors }) => {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    calls: times.length,
    errors,
    p50: Number(at(0.5).toFixed(1)),
    p99: Number(at(0.99).toFixed(1)),
    max: Number(sorted.at(-1).toFixed(1)),
  };
};

/**
 * Measures the light caller alone, then beside each heavy scenario for `seconds`.
 * @param {{ seconds?: number }} [options]
 */
export async function proxyFairness({ seconds = 5 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'qzz-bench-fairness-'));
  const upstream = await upstreamServer();
  const proxy = await proxyProcess(upstream.url, ['--report', join(dir, 'report.jsonl'), '--capture', join(dir, 'captures')]);
  try {
    for (let i = 0; i < 200; i++) await send(proxy.url, SEED_PATH, SEED_BODY); // warm-up
    const window = () => {
      const end = performance.now() + seconds * 1000;
      return () => performance.now() >= end;
    };
    const alone = summary(await lightCaller(proxy.url, window()));
    const rows = [];
    for (const scenario of SCENARIOS) {
      const url = `${proxy.url}${scenario.path}?access_token=bench-token`;
      const heavyCaller = new Worker(HEAVY_CALLER, { eval: true, workerData: { url, body: scenario.body, headers: HEADERS } });
      await new Promise((resolve) => setTimeout(resolve, 500)); // the heavy caller under way
      const light = summary(await lightCaller(proxy.url, window()));
      heavyCaller.postMessage('stop');
      const [heavy] = await once(heavyCaller, 'message');
      await heavyCaller.terminate();
      rows.push({
        name: scenario.name,
        heavy,
        ...light,
        added: Number((light.max - alone.p50).toFixed(1)),
        rss: Math.round(await proxy.rss()),
      });
    }
    return { seconds, alone, rows, worst: Math.max(...rows.map((r) => r.added)) };
  } finally {
    await proxy.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The section of bench/results.md.
 * @param {Awaited<ReturnType<typeof proxyFairness>>} result
 * @param {(head: string[], rows: unknown[][]) => string} table
 */
export function fairnessSection(result, table) {
  return `## Validating proxy: other callers during a heavy exchange

A light caller sends the seed request through \`qzz-proxy\` (its CLI, with \`--report\` and \`--capture\`), one call after
another: alone for ${result.seconds} s, then for ${result.seconds} s beside a heavy caller that sends, back to back, bodies the
checker and the capture must work hard on. *Added* is the light caller's slowest call beside the heavy caller
minus its median alone: how long one heavy caller held another up.

${table(
  ['beside', 'heavy exchanges', 'light calls', 'failed', 'p50 ms', 'p99 ms', 'max ms', '**added ms**', 'proxy RSS MiB'],
  [
    ['nothing (alone)', '', result.alone.calls, result.alone.errors, result.alone.p50, result.alone.p99, result.alone.max, '', ''],
    ...result.rows.map((r) => [r.name, r.heavy, r.calls, r.errors, r.p50, r.p99, r.max, `**${r.added}**`, r.rss]),
  ],
)}

Goal: no caller delayed by more than 100 ms — ${result.worst <= 100 ? 'met' : '**not met**'} (worst: ${result.worst} ms).
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = (head, rows) =>
    [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(fairnessSection(await proxyFairness(), table));
}
