// `pnpm bench`, part 11 (also runs alone: `node bench/rate-limit.js` after a build): answers under `--rate-limit`.
// The mock's CLI runs in a child process with `--rate-limit 500/min` (the gateway's reported budget); for 10 s,
// four account sets call it at once, each over 10 connections (autocannon), with the documented inspection query.
// The figure: per account set, the count of 200s (which must equal the budget exactly, however many callers race
// for it) and of 429s (every other answer), and how fast the refusals come. Every server listens on loopback;
// every loop is bounded.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { deref, listActions } from '@qzz/spec/actions';
import autocannon from 'autocannon';
// How the mock's tests start its CLI in a child process.
import { startCli } from '../packages/mock/test/helpers.js';

const doc = JSON.parse(await readFile(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const QUERY = listActions(doc).find((a) => a.name === 'getInspection');
if (!QUERY) throw new Error('the bundle has no getInspection');
const BODY = JSON.stringify(
  deref(doc, doc.paths[QUERY.path].post.requestBody.content['application/json'].examples[QUERY.examples.request]).value,
);

const BUDGET = 500;
const ACCOUNT_SETS = 4;
const CONNECTIONS = 10;
const SECONDS = 10;

/** One account set's callers for `seconds`: the answers by status, and the latency of all of them. */
function callers(url, groupName, seconds) {
  return autocannon({
    url: `${url}${QUERY.wirePath}?access_token=bench-token`,
    method: 'POST',
    headers: { groupName, accountid: 'bench', 'X-GW-Router-Addr': 'https://tf.jdy.com', 'content-type': 'application/json' },
    body: BODY,
    connections: CONNECTIONS,
    duration: seconds,
  });
}

/** Runs the mock under `--rate-limit <BUDGET>/min` and its account sets' callers at once. */
export async function rateLimit({ seconds = SECONDS } = {}) {
  const mock = await startCli(['--port', '0', '--quiet', '--rate-limit', `${BUDGET}/min`]);
  try {
    const runs = await Promise.all(Array.from({ length: ACCOUNT_SETS }, (_, i) => callers(mock.url, `bench-${i}`, seconds)));
    const rows = runs.map((run, i) => {
      const byStatus = Object.fromEntries(Object.entries(run.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]));
      const ok = byStatus['200'] ?? 0;
      const limited = byStatus['429'] ?? 0;
      const other = run.requests.total - ok - limited;
      return {
        name: `bench-${i}`,
        total: run.requests.total,
        ok,
        limited,
        other,
        errors: run.errors,
        p50: run.latency.p50,
        p99: run.latency.p99,
      };
    });
    const held = rows.every((r) => r.ok === BUDGET && r.other === 0 && r.errors === 0);
    return { budget: BUDGET, seconds, connections: CONNECTIONS, rows, held };
  } finally {
    await mock.stop();
  }
}

/** The section of results.md. */
export function rateLimitSection(result, table) {
  return `## Answers under \`--rate-limit\`

\`qzz-mock --rate-limit ${result.budget}/min\` (its CLI, in a child process); ${result.rows.length} account sets call it at once for
${result.seconds} s, each over ${result.connections} connections, with the inspection query. Each account set's budget must be
held exactly: ${result.budget} answers 200, every other one 429.

${table(
  ['account set', 'answers', '200', '429', 'other', 'errors', 'p50 ms', 'p99 ms'],
  result.rows.map((r) => [r.name, r.total, `**${r.ok}**`, r.limited, r.other, r.errors, r.p50, r.p99]),
)}

Goal: 200s equal the budget exactly, every other answer 429 — ${result.held ? 'met' : '**not met**'}.
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = (head, rows) =>
    [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(rateLimitSection(await rateLimit(), table));
}
