// `pnpm bench`: every figure measured side by side in one run, on this machine, written to bench/results.md.
//   1. @qzz/client per-call overhead vs a raw fetch of the same request, against one local server.
//   2. @qzz/mock throughput and latency vs raw Prism on the same bundle vs a plain Node server (autocannon).
//   3. `pnpm build` cold (turbo --force) vs warm (turbo cache).
//   4. The docs site in Chromium, beside the previous one: bytes on the first visit, first operation visible (docs-load.js).
//   5. The mock's sandbox vs the stateless mock on the seed push (autocannon).
//   6. @qzz/proxy: added latency and throughput vs calling the upstream directly; its RSS under 100 connections.
//   7. The proxy's masking: the e-mail pattern before and after on 80,000 characters, a large body cleaned.
//   8. The sandbox's saves as its state grows: p50/p99 and RSS at 1, 32 and 128 MiB of state (bench/sandbox-saves.js).
//   9. @qzz/proxy: how long other callers wait while one sends heavy exchanges (proxy-fairness.js).
//  10. @qzz/client with a logger at debug vs without: added µs per call (client-logging.js).
//  11. @qzz/check: check --upstream against the mock, every action: wall time and calls made (check-upstream.js).
//  12. @qzz/check: check --har of a generated 100,000-entry HAR: entries/s and peak RSS (check-har.js).
//  13. The in-process mock vs the HTTP mock, the same calls through the client (in-process.js).
//  14. The round trip capture → spec:add → typed client function, full way vs fast path (round-trip.js).
//  15. Answers under the mock's --rate-limit: the budget held exactly over 10 s of concurrent callers (rate-limit.js).
// Every server listens on loopback; every loop is bounded.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createQzzClient } from '@qzz/client';
import { startMock } from '@qzz/mock';
import autocannon from 'autocannon';
import { checkHarBench, checkHarSection } from './check-har.js';
import { checkUpstream, checkUpstreamSection } from './check-upstream.js';
import { clientLogging, clientLoggingSection } from './client-logging.js';
import { docsLoad, docsSection } from './docs-load.js';
import { inProcessSection, inProcessVsHttp } from './in-process.js';
import { maskingCost } from './masking.js';
import { fairnessSection, proxyFairness } from './proxy-fairness.js';
import { proxyProcess } from './proxy-process.js';
import { rateLimit, rateLimitSection } from './rate-limit.js';
import { roundTrip, roundTripSection } from './round-trip.js';
import { sandboxSaves, sandboxSavesTable } from './sandbox-saves.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const bundlePath = fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
const doc = JSON.parse(readFileSync(bundlePath, 'utf8'));

const SEED_PATH = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
const SEED_BODY = /** @type {const} */ ({ operation: 'push', entryPk: '1634800180022794240', billdata: { id: '1634800180022794240' } });
const SEED_ANSWER = Buffer.from(JSON.stringify(doc.components.examples.pushOrderExecutionToSparePartsUse_response.value));
const CREDENTIALS = { accessToken: 'bench-token', groupName: 'bench', accountId: 'bench', routerAddr: 'https://tf.jdy.com' };
const HEADERS = { groupName: 'bench', accountid: 'bench', 'X-GW-Router-Addr': 'https://tf.jdy.com', 'content-type': 'application/json' };

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const round = (n, digits = 1) => Number(n.toFixed(digits));
const median = (values) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

/** A plain Node server answering every request with `bytes`: the floor any server here is measured against. */
async function plainServer(bytes) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length }).end(bytes));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

// 1 ─ client overhead ────────────────────────────────────────────────────────────────────────────────────
async function clientOverhead({ calls = 3000, rounds = 3 } = {}) {
  const server = await plainServer(SEED_ANSWER);
  const client = createQzzClient({ baseUrl: server.url, credentials: CREDENTIALS });
  const url = `${server.url}${SEED_PATH}?access_token=${CREDENTIALS.accessToken}`;
  const contenders = {
    'raw fetch + JSON.parse': async () => (await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(SEED_BODY) })).json(),
    'client.raw.POST (openapi-fetch, credentials per call)': () => client.raw.POST(SEED_PATH, { body: SEED_BODY }),
    'client action function (+ selection, unwrapping, typed errors)': () =>
      client.projectManufacturing.pushOrderExecutionToSparePartsUse({ entryPk: SEED_BODY.entryPk, billdata: SEED_BODY.billdata }),
  };
  /** @type {Record<string, number[]>} */
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (const call of Object.values(contenders)) for (let i = 0; i < 200; i++) await call(); // warm-up
  // Rounds interleave the contenders so drift in the machine's load hits them alike.
  for (let r = 0; r < rounds; r++) {
    for (const [name, call] of Object.entries(contenders)) {
      for (let i = 0; i < calls / rounds; i++) {
        const t = performance.now();
        await call();
        samples[name].push(performance.now() - t);
      }
    }
  }
  await server.close();
  const base = samples['raw fetch + JSON.parse'].reduce((a, b) => a + b, 0) / samples['raw fetch + JSON.parse'].length;
  return Object.entries(samples).map(([name, times]) => {
    const sorted = [...times].sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    return {
      name,
      calls: times.length,
      mean: round(mean * 1000, 0),
      p50: round(quantile(sorted, 0.5) * 1000, 0),
      p99: round(quantile(sorted, 0.99) * 1000, 0),
      ratio: round(mean / base, 2),
      overhead: round((mean - base) * 1000, 0),
    };
  });
}

// 2 ─ mock throughput ────────────────────────────────────────────────────────────────────────────────────
async function waitForHttp(url, deadline = Date.now() + 60_000) {
  while (Date.now() < deadline) {
    try {
      await fetch(url, { method: 'POST' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${url} did not come up`);
}

async function rawPrism() {
  const port = 4099;
  const child = spawn(
    join(here, 'node_modules', '.bin', 'prism'),
    ['mock', '--host', '127.0.0.1', '--port', String(port), '--errors', 'false', bundlePath],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(url);
  return { url, close: async () => child.kill('SIGTERM') };
}

async function cannon(url, { seconds = 8, connections = 10 } = {}) {
  const result = await autocannon({
    url: `${url}${SEED_PATH}?access_token=bench-token`,
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify(SEED_BODY),
    connections,
    duration: seconds,
  });
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function mockThroughput() {
  const mock = await startMock({ port: 0 });
  const probe = await fetch(`${mock.url}${SEED_PATH}?access_token=t`, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify(SEED_BODY),
  });
  const mockBytes = Buffer.from(await probe.arrayBuffer());
  const prism = await rawPrism();
  const prismProbe = await fetch(`${prism.url}${SEED_PATH}?access_token=t`, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify(SEED_BODY),
  });
  if (prismProbe.status !== 200) throw new Error(`raw Prism answered the seed request with ${prismProbe.status}`);
  const plain = await plainServer(mockBytes);
  const rows = [];
  /** @type {[string, { url: string }][]} */
  const targets = [
    ['@qzz/mock (action-aware, on prism-http)', mock],
    ['raw Prism (prism mock, same bundle)', prism],
    ['plain Node http, same bytes', plain],
  ];
  for (const [name, target] of targets) {
    await cannon(target.url, { seconds: 2 }); // warm-up
    rows.push({ name, ...(await cannon(target.url)) });
  }
  await Promise.all([mock.close(), prism.close(), plain.close()]);
  const [ours, prismRow, plainRow] = rows;
  return { rows, ratios: { vsPrism: round(ours.rps / prismRow.rps, 2), vsPlain: round(ours.rps / plainRow.rps, 3) } };
}

// 3 ─ build cache ────────────────────────────────────────────────────────────────────────────────────────
function timeCommand(args) {
  const t = performance.now();
  execFileSync(join(root, 'node_modules', '.bin', 'turbo'), args, { cwd: root, stdio: 'ignore' });
  return (performance.now() - t) / 1000;
}

function buildCache() {
  const cold = timeCommand(['run', 'build', '--force', '--output-logs=none']);
  const warm = [1, 2, 3].map(() => timeCommand(['run', 'build', '--output-logs=none']));
  return { cold: round(cold, 2), warm: round(median(warm), 2), ratio: round(cold / median(warm), 1) };
}

// 5 ─ sandbox vs stateless ──────────────────────────────────────────────────────────────────────────────
// The seed push against both: the sandbox reads its held source and builds the draft from it. Rounds alternate
// the two so drift in the machine's load hits them alike; the sums of all rounds are compared.
async function sandboxThroughput({ rounds = 5, seconds = 3 } = {}) {
  const stateless = await startMock({ port: 0 });
  const sandbox = await startMock({ port: 0, sandbox: true });
  /** @type {[string, { url: string }][]} */
  const contenders = [
    ['@qzz/mock, stateless', stateless],
    ['@qzz/mock --sandbox (draft from the held source)', sandbox],
  ];
  /** @type {Record<string, { rps: number, p50: number, p99: number, non2xx: number, errors: number }[]>} */
  const runs = Object.fromEntries(contenders.map(([name]) => [name, []]));
  for (const [, target] of contenders) await cannon(target.url, { seconds: 2 }); // warm-up
  for (let r = 0; r < rounds; r++) for (const [name, target] of contenders) runs[name].push(await cannon(target.url, { seconds }));
  await Promise.all([stateless.close(), sandbox.close()]);
  const rows = contenders.map(([name]) => {
    const list = runs[name];
    return {
      name,
      rps: Math.round(list.reduce((n, r) => n + r.rps, 0) / list.length),
      p50: median(list.map((r) => r.p50)),
      p99: Math.max(...list.map((r) => r.p99)),
      non2xx: list.reduce((n, r) => n + r.non2xx, 0),
      errors: list.reduce((n, r) => n + r.errors, 0),
    };
  });
  return { rows, rounds, seconds, ratio: round(rows[1].rps / rows[0].rps, 2) };
}

// 6 ─ proxy cost ─────────────────────────────────────────────────────────────────────────────────────────
async function proxyCost({ calls = 3000 } = {}) {
  const upstream = await plainServer(SEED_ANSWER);
  const proxy = await proxyProcess(upstream.url);
  const body = JSON.stringify(SEED_BODY);
  const call = (base) => async () =>
    (await fetch(`${base}${SEED_PATH}?access_token=bench-token`, { method: 'POST', headers: HEADERS, body })).arrayBuffer();
  const contenders = { direct: call(upstream.url), proxy: call(proxy.url) };
  const samples = { direct: [], proxy: [] };
  for (const go of Object.values(contenders)) for (let i = 0; i < 300; i++) await go(); // warm-up (ajv compiles once)
  // Calls alternate one by one, so a burst of load from elsewhere on the machine hits both sides alike.
  for (let i = 0; i < calls; i++) {
    for (const [name, go] of Object.entries(contenders)) {
      const t = performance.now();
      await go();
      samples[name].push(performance.now() - t);
    }
  }
  const stats = Object.fromEntries(
    Object.entries(samples).map(([name, times]) => {
      const sorted = [...times].sort((a, b) => a - b);
      return [name, { p50: quantile(sorted, 0.5) * 1000, p99: quantile(sorted, 0.99) * 1000 }];
    }),
  );
  const rows = [];
  for (const [name, url] of [
    ['upstream directly', upstream.url],
    ['through @qzz/proxy', proxy.url],
  ]) {
    await cannon(url, { seconds: 2 }); // warm-up
    rows.push({ name, ...(await cannon(url)) });
  }
  // Memory: RSS at rest, then sampled every 250 ms under 100 concurrent connections for 10 s, then at rest again.
  const idle = await proxy.rss();
  const rss = [];
  const sampler = setInterval(() => proxy.rss().then((v) => rss.push(v)), 250);
  const loaded = await cannon(proxy.url, { seconds: 10, connections: 100 });
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 1000));
  const after = await proxy.rss();
  await proxy.close();
  await upstream.close();
  const quarter = Math.max(1, Math.floor(rss.length / 4));
  return {
    latency: {
      direct: { p50: round(stats.direct.p50, 0), p99: round(stats.direct.p99, 0) },
      proxy: { p50: round(stats.proxy.p50, 0), p99: round(stats.proxy.p99, 0) },
      added: { p50: round(stats.proxy.p50 - stats.direct.p50, 0), p99: round(stats.proxy.p99 - stats.direct.p99, 0) },
      calls,
    },
    rows,
    ratio: round(rows[1].rps / rows[0].rps, 2),
    memory: {
      idle: round(idle),
      firstQuarter: round(median(rss.slice(0, quarter))),
      lastQuarter: round(median(rss.slice(-quarter))),
      peak: round(Math.max(...rss)),
      after: round(after),
      loaded,
    },
  };
}

// ─ report ──────────────────────────────────────────────────────────────────────────────────────────────
const started = new Date();
console.log('1/15 client overhead…');
const overhead = await clientOverhead();
console.log('2/15 mock throughput…');
const throughput = await mockThroughput();
console.log('3/15 build cache…');
const build = buildCache();
console.log('4/15 docs in Chromium…');
const docs = await docsLoad();
console.log('5/15 sandbox vs stateless mock…');
const sandbox = await sandboxThroughput();
console.log('6/15 proxy cost…');
const proxy = await proxyCost();
console.log('7/15 masking…');
const masking = maskingCost();
console.log('8/15 sandbox saves as the state grows…');
const saves = await sandboxSaves();
console.log('9/15 proxy fairness…');
const fairness = await proxyFairness();
console.log('10/15 client logging…');
const logging = await clientLogging();
console.log('11/15 check --upstream against the mock…');
const checked = await checkUpstream();
console.log('12/15 check --har of a 100,000-entry HAR…');
const har = await checkHarBench();
console.log('13/15 in-process mock vs the HTTP mock…');
const inProcess = await inProcessVsHttp();
console.log('14/15 the round trip, full way and fast path…');
const trip = await roundTrip();
console.log('15/15 answers under --rate-limit…');
const limited = await rateLimit();

const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const report = `# Benchmarks

Measured by \`pnpm bench\` (bench/run.js) on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC: Node ${process.version},
${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB. All servers on loopback. Figures
move with the machine's load; the ratios, measured side by side in one run, are the ones to compare.

## Client per-call overhead vs raw fetch

The same seed request (工单执行下推备品备件, credentials in query and headers, 5 KB JSON answer) against one
plain local server, sequential calls, interleaved in ${3} rounds after 200 warm-up calls each.

${table(
  ['', 'calls', 'mean µs', 'p50 µs', 'p99 µs', 'overhead µs/call', '× raw fetch'],
  overhead.map((r) => [r.name, r.calls, r.mean, r.p50, r.p99, r.overhead, r.ratio]),
)}

## Mock throughput and latency (autocannon, 10 connections, 8 s)

The seed request against each server; the plain server returns the very bytes the mock answers.

${table(
  ['', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
  throughput.rows.map((r) => [r.name, r.rps, r.p50, r.p99, r.non2xx, r.errors]),
)}

@qzz/mock serves **${throughput.ratios.vsPrism}×** raw Prism's throughput and **${throughput.ratios.vsPlain}×** the plain server's. Raw Prism
runs as its CLI does by default, logging every request; @qzz/mock drives the same prism-http with a silent logger
and picks the action's own Prism operation, so Prism matches one candidate instead of every route.

## \`pnpm build\`: cold vs warm turbo cache

${table(
  ['', 'seconds'],
  [
    ['cold (`turbo run build --force`)', build.cold],
    ['warm (cache hit, median of 3)', build.warm],
    ['cold ÷ warm', `${build.ratio}×`],
  ],
)}

${docsSection(docs, table)}

## Sandbox vs stateless mock on the seed push (autocannon, 10 connections)

The seed request (工单执行下推备品备件) against the stateless mock and the sandbox (\`--sandbox\`, in memory),
${sandbox.rounds} alternating rounds of ${sandbox.seconds} s each after a warm-up: mean req/s, median p50, worst p99.

${table(
  ['', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
  sandbox.rows.map((r) => [r.name, r.rps, r.p50, r.p99, r.non2xx, r.errors]),
)}

The sandbox serves **${sandbox.ratio}×** the stateless mock's throughput (goal: at least 0.8×). Both run the same Prism
validation; the sandbox then finds the source bill in the caller's account set and answers its draft, built once
per held bill and action (a held bill never changes: a save makes a new one) and then reused as text.

## Validating proxy: cost per call

\`qzz-proxy\` (its CLI, in a child process) in front of a plain local server that answers the seed request with the
action's documented answer, so every exchange is checked against the spec in full (no discrepancy to report).
Sequential calls with fetch, alternating one direct call and one through the proxy, after 300 warm-up calls
each. The p99 of both sides is mostly this shared machine's scheduling noise; the p50 is the figure to read.

${table(
  ['', 'calls', 'p50 µs', 'p99 µs'],
  [
    ['upstream directly', proxy.latency.calls, proxy.latency.direct.p50, proxy.latency.direct.p99],
    ['through @qzz/proxy', proxy.latency.calls, proxy.latency.proxy.p50, proxy.latency.proxy.p99],
    ['**added by the proxy**', '', `**${proxy.latency.added.p50}**`, `**${proxy.latency.added.p99}**`],
  ],
)}

Goal: p50 added ≤ 1000 µs on the seed request — ${proxy.latency.added.p50 <= 1000 ? 'met' : '**not met**'}.

Throughput (autocannon, 10 connections, 8 s):

${table(
  ['', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
  proxy.rows.map((r) => [r.name, r.rps, r.p50, r.p99, r.non2xx, r.errors]),
)}

Through the proxy: **${proxy.ratio}×** the direct throughput.

Memory (the proxy process's RSS) under 100 concurrent connections for 10 s (${proxy.memory.loaded.rps} req/s, ${proxy.memory.loaded.errors} errors):

${table(
  ['', 'MiB'],
  [
    ['at rest, before', proxy.memory.idle],
    ['under load, median of the first quarter', proxy.memory.firstQuarter],
    ['under load, median of the last quarter', proxy.memory.lastQuarter],
    ['under load, peak', proxy.memory.peak],
    ['at rest, 1 s after', proxy.memory.after],
  ],
)}

## The proxy's masking on hostile and large input

One string of 80,000 characters without \`@\` (the worst of a plain run and one with dots) through the e-mail
pattern the capture used before issue 16 and through today's (\`@qzz/spec/personal\`), and a ${Math.round(masking.bytes / 1024)} KiB answer of
${masking.fields.toLocaleString('en')} fields with personal data cleaned as a capture keeps it (\`cleanValue\`, five secrets and a
personal value to look for), then scrubbed as one text. One run each, in the same process.

${table(
  ['', 'ms'],
  [
    ['e-mail pattern before, 80,000 characters', masking.emailOld],
    ['e-mail pattern now, 80,000 characters', masking.emailNew],
    [`cleanValue, ${masking.fields} fields`, masking.cleanBody],
    [`secrets.scrub, ${Math.round(masking.textBytes / 1024)} KiB of text`, masking.scrubText],
  ],
)}

## Sandbox saves as the state grows

The sandbox's CLI (in a child process, \`--max-old-space-size=512\` as its README recommends) on a state file holding
1, 32 and 128 MiB of saved bills (16 KiB each, 14 per account set, within the default limits), restarted once on
the file it left; then another account set saves a small bill, one save after another, over loopback: p50/p99 of
each save, the RSS once the state is loaded (and the start-up that loaded it) and the RSS's peak while saving. The
last row measures the same saves for 20 s while one more account set saves 240 KiB bills and resets them as fast
as it can, so that the file is compacted again and again.

${sandboxSavesTable(saves, table)}

A save appends its own record to the state file and syncs it, so its cost does not grow with the state; until 0.2
every save rewrote the whole state (p50 1.2 s at 128 MiB, and the greedy row ran the process out of heap).

${fairnessSection(fairness, table)}

${clientLoggingSection(logging, table)}

${checkUpstreamSection(checked, table)}

${checkHarSection(har, table)}

${inProcessSection(inProcess, table)}

${roundTripSection(trip, table)}

${rateLimitSection(limited, table)}`;
writeFileSync(join(here, 'results.md'), report);
console.log(report);
