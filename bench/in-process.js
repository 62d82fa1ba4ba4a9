// `pnpm bench`, part 10 (also runs alone: `node bench/in-process.js` after a build): the in-process mock
// (`createMockFetch`) against the HTTP mock (`startMock`, over loopback), the same calls through @qzz/client (the
// seed push's action function), one call at a time and 16 in flight; then the same request as a bare fetch, which
// leaves the client's own cost out. Both mocks run in this process, as a test suite runs them; the rounds
// interleave the two so drift in the machine's load hits them alike.
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createQzzClient } from '@qzz/client';
import { createMockFetch, startMock } from '@qzz/mock';

const CREDENTIALS = { accessToken: 'bench-token', groupName: 'bench', accountId: 'bench', routerAddr: 'https://tf.jdy.com' };
const SOURCE_ID = '1634800180022794240';
const SEED_TARGET = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup?access_token=bench-token';
const SEED_INIT = {
  method: 'POST',
  headers: { groupName: 'bench', accountid: 'bench', 'X-GW-Router-Addr': 'https://tf.jdy.com', 'content-type': 'application/json' },
  body: JSON.stringify({ operation: 'push', entryPk: SOURCE_ID, billdata: { id: SOURCE_ID } }),
};

/**
 * Calls per second of `call`, `inFlight` at a time, over `calls` calls.
 * @param {() => Promise<unknown>} call
 */
async function callsPerSecond(call, calls, inFlight) {
  let next = 0;
  const worker = async () => {
    while (next++ < calls) await call();
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return calls / ((performance.now() - start) / 1000);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Calls/s of the two contenders `[http, inProcess]`, `inFlight` at a time (median of the rounds), and their ratio.
 * @param {Record<string, () => Promise<unknown>>} contenders
 */
async function compare(contenders, { calls, rounds, inFlight }) {
  /** @type {Record<string, number[]>} */
  const rates = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let r = 0; r < rounds; r++)
    for (const [name, call] of Object.entries(contenders)) rates[name].push(await callsPerSecond(call, calls / rounds, inFlight));
  const [overHttp, inProcess] = Object.keys(contenders).map((name) => Math.round(median(rates[name])));
  return { overHttp, inProcess, ratio: Number((inProcess / overHttp).toFixed(2)) };
}

/** Calls/s of each mock through the client (one at a time, 16 in flight) and as a bare fetch, and the ratios. */
export async function inProcessVsHttp({ calls = 1500, rounds = 3 } = {}) {
  const http = await startMock({ port: 0 });
  const mockFetch = await createMockFetch();
  const push = (client) => () =>
    client.projectManufacturing.pushOrderExecutionToSparePartsUse({ entryPk: SOURCE_ID, billdata: { id: SOURCE_ID } });
  const throughClient = {
    http: push(createQzzClient({ baseUrl: http.url, credentials: CREDENTIALS })),
    inProcess: push(createQzzClient({ baseUrl: 'https://api.kingdee.com', credentials: CREDENTIALS, fetch: mockFetch })),
  };
  const bare = {
    http: async () => (await fetch(`${http.url}${SEED_TARGET}`, SEED_INIT)).text(),
    inProcess: async () => (await mockFetch(`https://api.kingdee.com${SEED_TARGET}`, SEED_INIT)).text(),
  };
  try {
    for (const call of [...Object.values(throughClient), ...Object.values(bare)]) for (let i = 0; i < 200; i++) await call(); // warm-up
    const rows = [];
    for (const inFlight of [1, 16])
      rows.push({ how: 'through @qzz/client', inFlight, ...(await compare(throughClient, { calls, rounds, inFlight })) });
    rows.push({ how: 'bare fetch, no client', inFlight: 1, ...(await compare(bare, { calls, rounds, inFlight: 1 })) });
    return { calls, rows };
  } finally {
    await http.close();
    await mockFetch.close();
  }
}

/** The section of results.md. */
export function inProcessSection(result, table) {
  const throughClient = result.rows.filter((r) => r.how === 'through @qzz/client');
  const worst = Math.min(...throughClient.map((r) => r.ratio));
  return `## In-process mock vs the HTTP mock

The same call through \`@qzz/client\` (the seed push's action function), ${result.calls} calls per row: to the HTTP mock
(\`startMock\`, over loopback) and to the in-process mock (\`createMockFetch\` as the client's \`fetch\`), both in the
benchmark's process; the last row sends the same request as a bare fetch, without the client's own cost. Median of
3 interleaved rounds.

${table(
  ['calls', 'in flight', 'HTTP mock calls/s', 'in-process calls/s', '**in-process ÷ HTTP**'],
  result.rows.map((r) => [r.how, r.inFlight, r.overHttp, r.inProcess, `**${r.ratio}×**`]),
)}

Goal: at least 3× the HTTP mock through the client — ${worst >= 3 ? 'met' : '**not met**'} (lowest: ${worst}×). The client's own
per-call work and Prism's validation are paid alike by both mocks, so the fewer calls overlap (one in flight), the
smaller the share of a call the socket was.
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = (head, rows) =>
    [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(inProcessSection(await inProcessVsHttp(), table));
}
