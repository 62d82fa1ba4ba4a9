// `pnpm bench`, part 10 (also runs alone: `node bench/check-upstream.js` after a build): `check({ upstream })`
// against the mock, every action, at the default rate (one call a second): the run's wall time, and the calls that
// reached the mock, counted by a loopback server in front of it, against the calls the verdicts need (one per action
// that was sent). Pushes are allowed and every read and push gets an input of its own (ids that are not the
// vendor's examples), so each action that may be sent is.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { check } from '@qzz/check';
import { startMock } from '@qzz/mock';

const OWN = '1000000000000000001';
const ENTRY = '1000000000000000002';
const INPUTS = {
  getInspection: { id: OWN },
  getSparePartsUse: { id: OWN },
  pushProductionInStockToScrap: { billdata: { id: OWN } },
  pushReceiptNoticeToOutsourcedInStock: { billdata: { id: OWN } },
  pushOutsourcedMaterialsToPick: { billdata: { id: OWN } },
  pushTransferInToProductionInStock: { billid: OWN, entryid: ENTRY, entryentity: 'entryentity' },
  pushTransferInToOutsourcedInStock: { billid: OWN, entryid: ENTRY, entryentity: 'entryentity' },
  pushOrderExecutionToSparePartsUse: { entryPk: OWN, billdata: { id: OWN } },
  pushOrderExecutionToExpenseIncome: { entryPk: OWN, billdata: { id: OWN } },
  pushProjectPlanToSparePartsUse: { entryPk: OWN, billdata: { id: OWN } },
};
const ENV = { QZZ_ACCESS_TOKEN: 'bench-token', QZZ_GROUP_NAME: 'bench', QZZ_ACCOUNT_ID: 'bench', QZZ_ROUTER_ADDR: 'https://tf.jdy.com' };

/** A loopback server that counts the requests it passes on to `target`. */
async function countingFront(target) {
  let count = 0;
  const server = createServer((req, res) => {
    count += 1;
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const headers = Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name));
      const answer = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers: /** @type {any} */ (headers),
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await answer.arrayBuffer());
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${port}`, count: () => count, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** One check of every action at the default rate. */
export async function checkUpstream() {
  const mock = await startMock({ port: 0 });
  const front = await countingFront(mock.url);
  try {
    const started = performance.now();
    const result = await check({ upstream: front.url, env: ENV, allowPush: true, inputs: INPUTS });
    const seconds = (performance.now() - started) / 1000;
    const sent = result.verdicts.filter((v) => v.verdict !== 'not-run').length;
    const counts = Object.fromEntries(
      ['matches', 'drift', 'refused', 'not-run'].map((v) => [v, result.verdicts.filter((x) => x.verdict === v).length]),
    );
    return {
      actions: result.verdicts.length,
      counts,
      seconds: Number(seconds.toFixed(1)),
      calls: front.count(),
      needed: sent,
      exitCode: result.exitCode,
    };
  } finally {
    await front.close();
    await mock.close();
  }
}

/** The results.md section. */
export function checkUpstreamSection(r, table) {
  return `## check --upstream against the mock

\`check({ upstream })\` (\`pnpm check --upstream\`) against the stateless mock at the default rate (one call a second),
every action: pushes allowed and an input of its own for every read and push; saves and audits are never sent. The
calls are counted by a loopback server in front of the mock; the calls the verdicts need are one per action sent.
Goal: under 30 s, and no call beyond what the verdicts need.

${table(
  ['actions', 'matches', 'drift', 'refused', 'not run', 'calls at the mock', 'calls the verdicts need', 'wall s', 'exit'],
  [[r.actions, r.counts.matches, r.counts.drift, r.counts.refused, r.counts['not-run'], r.calls, r.needed, `**${r.seconds}**`, r.exitCode]],
)}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await checkUpstream());
