// `pnpm bench`, part 12 (also runs alone: `node bench/check-har.js [entries]` after a build): `check --har` of a
// generated 100,000-entry HAR. The file is written to a temp folder, streamed, with what a browser's recording of
// a tenant's page holds: the gateway's calls (every business action, answered as the mock answers, some with
// drift, some on routes the spec lacks, bodies plain, base64 and gzip) among the page's own traffic (HTML,
// scripts, images in base64, analytics), CORS preflights and failed requests. Then a child process — so its peak
// RSS is the check's own — runs the real `check({ har, report })` of @qzz/check on it (what `pnpm check --har`
// runs: readHar → the proxy's checker → verdicts, report, coverage); a second child only reads it (readHar alone),
// to tell the reading's cost from the checking's.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { listActions } from '@qzz/spec/actions';

const SPEC = fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
const HEADERS = { groupName: 'bench', accountid: 'bench', 'X-GW-Router-Addr': 'https://tf.jdy.com' };
const ORIGIN = 'https://api.kingdee.com';
const PAGE = 'https://tenant.example.cn';

const harHeaders = (headers) => Object.entries(headers).map(([name, value]) => ({ name, value }));

/** Every business action's documented request, answered by the mock: [request entry part, answer text]. */
async function recordedCalls() {
  const doc = JSON.parse(await readFile(SPEC, 'utf8'));
  // Imported here: the measured children must not load the mock (Prism holds about 100 MiB).
  const { startMock } = await import('@qzz/mock');
  const mock = await startMock({ port: 0 });
  try {
    const calls = [];
    for (const action of listActions(doc).filter((a) => !a.signed)) {
      const contentType = Object.keys(doc.paths[action.path][action.method].requestBody.content)[0];
      const value = doc.components.examples[action.examples.request].value;
      const body = typeof value === 'string' ? value : JSON.stringify(value);
      const response = await fetch(`${mock.url}${action.wirePath}?access_token=t`, {
        method: 'POST',
        headers: { ...HEADERS, 'content-type': contentType },
        body,
      });
      calls.push({ path: action.wirePath, contentType, body, answer: await response.text() });
    }
    return calls;
  } finally {
    await mock.close();
  }
}

/** One HAR entry's JSON text. */
function entryText({ method = 'POST', url, headers = {}, postData, status = 200, answerHeaders = {}, content, time }) {
  return JSON.stringify({
    startedDateTime: time,
    time: 42.5,
    request: {
      method,
      url,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: harHeaders(headers),
      queryString: [],
      ...(postData ? { postData } : {}),
      headersSize: -1,
      bodySize: -1,
    },
    response: {
      status,
      statusText: '',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: harHeaders(answerHeaders),
      content: content ?? { size: 0, mimeType: 'x-unknown' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: { send: 0.1, wait: 40, receive: 2.4 },
    _resourceType: 'fetch',
  });
}

/**
 * @typedef {[number, (i: number) => Record<string, any>]} EntryKind how often (out of 100) and how to make one
 */

/**
 * The kinds of entries and how often each comes, out of 100: 60 calls of the gateway (40 plain answers, 8 base64,
 * 8 gzip in base64, 3 with drift, 1 on a route the spec lacks), and 40 of the page's own traffic and noise.
 */
/** @returns {EntryKind[]} */
function entryKinds(calls) {
  const script = `(function(){${'var a=1;'.repeat(2500)}})();`; // 20 KB
  const image = Buffer.alloc(6 * 1024, 7).toString('base64'); // 8 KB of base64
  const call = (i, answer) => {
    const c = calls[i % calls.length];
    return {
      url: `${ORIGIN}${c.path}?access_token=bench-token-${i % 97}`,
      headers: { ...HEADERS, 'Content-Type': c.contentType, Cookie: `SESSIONID=s${i % 89}` },
      postData: { mimeType: c.contentType, text: c.body, params: [] },
      answerHeaders: { 'Content-Type': 'application/json;charset=utf-8', ...(answer.gzip ? { 'Content-Encoding': 'gzip' } : {}) },
      content: answer.content(c.answer),
    };
  };
  const plain = (text) => ({ size: text.length, mimeType: 'application/json', text });
  const base64 = (text) => ({
    size: text.length,
    mimeType: 'application/json',
    text: Buffer.from(text).toString('base64'),
    encoding: 'base64',
  });
  const gzip = (text) => ({ size: text.length, mimeType: 'application/json', text: gzipSync(text).toString('base64'), encoding: 'base64' });
  const drift = (text) => plain(text.replace('"success":true', '"success":"true"'));
  return [
    [40, (i) => call(i, { content: plain })],
    [8, (i) => call(i, { content: base64 })],
    [8, (i) => call(i, { content: gzip, gzip: true })],
    [3, (i) => call(i, { content: drift })],
    [1, (i) => ({ ...call(i, { content: plain }), url: `${ORIGIN}/mxoc_pom/bench_route_${i % 5}?access_token=t` })],
    [
      10,
      () => ({
        method: 'GET',
        url: `${PAGE}/static/app.js`,
        content: { size: script.length, mimeType: 'application/javascript', text: script },
      }),
    ],
    [
      10,
      (i) => ({
        method: 'GET',
        url: `${PAGE}/img/${i % 50}.png`,
        content: { size: 6144, mimeType: 'image/png', text: image, encoding: 'base64' },
      }),
    ],
    [
      8,
      () => ({
        method: 'GET',
        url: `${PAGE}/index.html`,
        content: { size: 40, mimeType: 'text/html', text: '<!doctype html><title>tenant</title>' },
      }),
    ],
    [
      6,
      () => ({
        method: 'POST',
        url: 'https://analytics.example.com/collect',
        postData: { mimeType: 'text/plain', text: '{"e":"view"}' },
        status: 204,
      }),
    ],
    [
      4,
      (i) => ({
        ...call(i, { content: plain }),
        method: 'OPTIONS',
        headers: { 'Access-Control-Request-Method': 'POST' },
        postData: undefined,
      }),
    ],
    [2, () => ({ method: 'GET', url: `${PAGE}/blocked.js`, status: 0 })],
  ];
}

/** Writes a HAR of `count` entries to `file`, streamed; resolves with how many are the gateway's. */
async function writeHar(file, count) {
  const kinds = entryKinds(await recordedCalls());
  const slots = kinds.flatMap(([weight, make]) => Array(weight).fill(make));
  const out = createWriteStream(file);
  const write = async (text) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('{"log":{"version":"1.2","creator":{"name":"qzz-bench","version":"1"},"pages":[],"entries":[\n');
  const start = Date.parse('2026-11-29T06:00:00.000Z');
  let batch = [];
  for (let i = 0; i < count; i++) {
    // A fixed stride through the slots mixes the kinds evenly, with no randomness between runs.
    const make = slots[(i * 37) % slots.length];
    batch.push(entryText({ time: new Date(start + i * 10).toISOString(), ...make(i) }));
    if (batch.length === 500 || i === count - 1) {
      await write(`${batch.join(',\n')}${i === count - 1 ? '\n' : ',\n'}`);
      batch = [];
    }
  }
  await write(']}}\n');
  out.end();
  await once(out, 'close');
}

/**
 * The child's side: read the file (mode `read`), or check it as `check --har` does (mode `check`), then print
 * entries, exchanges, time, CPU time and peak RSS as JSON.
 */
async function runChild(file, mode) {
  // Sampled, not getrusage's maxRSS: a spawned child's maxRSS counts the parent it was forked from.
  let rss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage.rss());
  }, 20);
  const t = performance.now();
  let measured;
  if (mode === 'read') {
    const { readHar } = await import('@qzz/proxy/har');
    const reading = readHar(file);
    let exchanges = 0;
    for await (const _ of reading) exchanges++;
    measured = { entries: reading.entries, exchanges, skipped: reading.skipped.byReason };
  } else {
    const { check } = await import('@qzz/check');
    const report = `${file}.report.jsonl`;
    const result = await check({ har: file, report });
    const { entries, exchanges, skipped } = /** @type {any} */ (result.recording);
    const lines = (await readFile(report, 'utf8')).split('\n').filter((line) => line.includes('"kind"')).length;
    /** @type {Record<string, number>} */
    const verdicts = {};
    for (const { verdict } of result.verdicts) verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
    measured = { entries, exchanges, skipped: skipped.byReason, lines, verdicts };
  }
  const seconds = (performance.now() - t) / 1000;
  const usage = process.resourceUsage();
  // CPU time of the whole process, its checker's thread included: what the run costs on a busy machine too.
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  clearInterval(sampler);
  const rssMiB = Math.max(rss, process.memoryUsage.rss()) / 2 ** 20;
  process.stdout.write(JSON.stringify({ ...measured, seconds, cpuSeconds, rssMiB }));
}

/** Runs one child and parses what it printed. */
async function child(file, mode) {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  const [code] = await once(proc, 'exit');
  if (code !== 0) throw new Error(`the ${mode} child exited with ${code}`);
  return JSON.parse(out);
}

/** Generates the HAR and measures `check --har` of it, and readHar alone. */
export async function checkHarBench({ entries = 100_000 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'qzz-bench-har-'));
  try {
    const file = join(dir, 'recording.har');
    const t = performance.now();
    await writeHar(file, entries);
    const generated = { seconds: (performance.now() - t) / 1000, mib: (await stat(file)).size / 2 ** 20 };
    const read = await child(file, 'read');
    const check = await child(file, 'check');
    return { entries, generated, read, check };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The section of bench/results.md. */
export function checkHarSection(result, table) {
  const r = (n) => Math.round(n).toLocaleString('en-US');
  const row = (name, m) => [
    name,
    r(m.entries / m.seconds),
    r(m.exchanges / m.seconds),
    m.seconds.toFixed(1),
    m.cpuSeconds.toFixed(1),
    Math.round(m.rssMiB),
  ];
  const { check } = result;
  return `## check --har: a ${r(result.entries)}-entry HAR

A generated recording of ${result.generated.mib.toFixed(0)} MiB (${r(result.entries)} entries, ${r(check.exchanges)} of them the
gateway's: every business action answered as the mock answers, 3 % with drift, 1 % on routes the spec lacks,
answers plain, base64 and gzip; the rest a page's scripts, images, HTML, analytics, CORS preflights and failed
requests), checked by \`check({ har, report })\` of @qzz/check — what \`pnpm check --har\` runs: \`readHar\` streams it to the
proxy's checker (its worker thread), each exchange is judged, the report and the coverage written; and read alone by
\`readHar\`, to tell the reading's cost from the checking's.
Each runs in a process of its own: its peak RSS (sampled every 20 ms) is the run's; CPU seconds are all its threads'.

${table(
  ['run', 'entries/s', 'gateway exchanges/s', 'seconds', 'CPU seconds', 'peak RSS MiB'],
  [row('readHar alone', result.read), row('**check({ har }) (check --har)**', check)],
)}

Skipped: ${Object.entries(check.skipped)
    .map(([reason, n]) => `${reason} ${r(n)}`)
    .join(', ')}; report lines written: ${r(check.lines)}; verdicts: ${Object.entries(check.verdicts)
    .map(([verdict, n]) => `${verdict} ${n}`)
    .join(', ')}.
Goals: ≥ 10,000 entries/s — ${check.entries / check.seconds >= 10_000 ? 'met' : '**not met**'}; peak RSS ≤ 300 MiB — ${check.rssMiB <= 300 ? 'met' : '**not met**'}.
The reading alone runs at ${r(result.read.entries / result.read.seconds)} entries/s: where the check is slower, the checker's thread is what it waits for.
`;
}

if (process.argv[2] === '--child') await runChild(process.argv[4], process.argv[3]);
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = (head, rows) =>
    [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
  const result = await checkHarBench({ entries: Number(process.argv[2] ?? 100_000) });
  console.log(JSON.stringify(result));
  console.log(checkHarSection(result, table));
}
