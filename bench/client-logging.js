// `pnpm bench`, part 10 (also runs alone: `node bench/client-logging.js` after a build): what @qzz/client's logger
// costs per call. The same action function (the seed push) against one local server that answers the action's
// documented envelope, from three clients: without a logger; with a logger at `warn` (the level a logger gets by
// default: a call that succeeds writes nothing); with a logger at `debug` (a line per attempt, timed, every string
// redacted) whose methods do nothing, so that the figure is the client's own work and not a logger's output.
// Sequential calls, interleaved in rounds so that drift in the machine's load hits every client alike.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createQzzClient } from '@qzz/client';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const ANSWER = Buffer.from(JSON.stringify(doc.components.examples.pushOrderExecutionToSparePartsUse_response.value));
const CREDENTIALS = { accessToken: 'bench-token', groupName: 'bench', accountId: 'bench', routerAddr: 'https://tf.jdy.com' };
const INPUT = { entryPk: '1634800180022794240', billdata: { id: '1634800180022794240' } };

/** A logger that takes every line and writes nothing. */
const noop = () => {};
const NO_OP_SINK = { debug: noop, info: noop, warn: noop, error: noop };

const round = (n, digits = 1) => Number(n.toFixed(digits));
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const p50 = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A local server answering every request, once read, with the seed push's documented envelope. */
async function seedServer() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length }).end(ANSWER));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/**
 * Mean and p50 µs per call of each client, `calls` each, one call of each in turn after a warm-up; and what the
 * logger at debug adds. The p50 is the figure judged: on a shared machine the mean carries other processes'
 * scheduling, which lands on whichever call happens to run.
 */
export async function clientLogging({ calls = 5000 } = {}) {
  const server = await seedServer();
  const base = { baseUrl: server.url, credentials: CREDENTIALS };
  /** @type {Record<string, import('@qzz/client').QzzClient>} */
  const clients = {
    'no logger': createQzzClient(base),
    'logger at warn (the default level): no line on success': createQzzClient({ ...base, logger: NO_OP_SINK }),
    'logger at debug, no-op sink: a line per attempt': createQzzClient({ ...base, logger: NO_OP_SINK, logLevel: 'debug' }),
  };
  /** @type {Record<string, number[]>} */
  const samples = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
  for (const client of Object.values(clients))
    for (let i = 0; i < 300; i++) await client.projectManufacturing.pushOrderExecutionToSparePartsUse(INPUT);
  // One call of each client in turn: a burst of load from elsewhere on the machine hits all three alike.
  for (let i = 0; i < calls; i++) {
    for (const [name, client] of Object.entries(clients)) {
      const t = performance.now();
      await client.projectManufacturing.pushOrderExecutionToSparePartsUse(INPUT);
      samples[name]?.push(performance.now() - t);
    }
  }
  await server.close();
  const rows = Object.entries(samples).map(([name, times]) => ({
    name,
    calls: times.length,
    mean: round(mean(times) * 1000, 0),
    p50: round(p50(times) * 1000, 0),
  }));
  const [none, , debug] = rows;
  if (!none || !debug) throw new Error('clientLogging: a client is missing');
  return {
    calls,
    rows,
    added: { mean: debug.mean - none.mean, p50: debug.p50 - none.p50 },
    percent: {
      mean: round(((debug.mean - none.mean) / none.mean) * 100, 1),
      p50: round(((debug.p50 - none.p50) / none.p50) * 100, 1),
    },
  };
}

/**
 * The section of bench/results.md.
 * @param {Awaited<ReturnType<typeof clientLogging>>} result
 * @param {(head: string[], rows: unknown[][]) => string} table
 */
export function clientLoggingSection(result, table) {
  return `## Client with a logger at debug vs without

The seed push (工单执行下推备品备件) through its action function against one local server answering its documented
envelope; ${result.calls} sequential calls per client, one call of each client in turn, after 300 warm-up calls each.
The logger's methods do nothing, so the figure is the client's own work per line: timing the attempt, building
its fields and redacting every string in them ([client-logging.js](client-logging.js)). The p50 is the figure to
read: on a shared machine the mean carries the scheduling of other processes, which lands on whichever call runs.

${table(
  ['', 'calls', 'mean µs', 'p50 µs'],
  result.rows.map((r) => [r.name, r.calls, r.mean, r.p50]),
)}

A logger at debug adds **${result.added.p50} µs** per call on the p50: **${result.percent.p50}%** (goal ≤ 10%) —
${result.percent.p50 <= 10 ? 'met' : '**not met**'}; on the mean, ${result.added.mean} µs (${result.percent.mean}%).
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = (head, rows) =>
    [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(clientLoggingSection(await clientLogging(), table));
}
