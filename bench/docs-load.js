// `pnpm bench`, part 4 (also runs alone after a build: `node bench/docs-load.js`): the docs site in headless
// Chromium, the site as it is built now beside the previous one, in one run. The previous site is built by the
// same build with `--single-file` (the page as Redoc writes it: 2.7 MB, everything inline, no compressed copies,
// no Try it), into a temporary folder, and served by the same server, which then has no compressed copy to send.
// Per run, a fresh browser context for each site in turn (so drift in the machine's load hits both alike):
// bytes transferred until the network is idle (encoded, as they cross the wire), then the time from navigation
// until the first operation is visible on the landing page, cold, then warm (a reload), then an operation's page
// opened by its link.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from '@qzz/docs/chromium';
import { startDocsServer } from '@qzz/docs/serve';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const buildScript = join(dirname(fileURLToPath(import.meta.resolve('@qzz/docs/serve'))), '..', 'scripts', 'build.js');

/** Goals of issue 19, for the report. */
export const DOCS_GOALS = { weightKiB: 800, coldMs: 1200 };

const round = (/** @type {number} */ n) => Math.round(n);
const median = (/** @type {number[]} */ values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Builds the previous site (single file) into a temporary folder. */
function buildPrevious() {
  const dir = mkdtempSync(join(tmpdir(), 'qzz-bench-docs-'));
  execFileSync(process.execPath, [buildScript, '--single-file', '--out', dir], { stdio: 'ignore' });
  return dir;
}

/**
 * One visit of each kind on a fresh context.
 * @param {Awaited<ReturnType<typeof launchChromium>>} browser @param {string} url
 */
async function visitOnce(browser, url) {
  // The landing page lists each module's operations by route; the first one is the first operation a reader sees.
  const [firstPath, firstItem] = Object.entries(doc.paths)[0];
  const operation = /** @type {any} */ (Object.values(firstItem)[0]);
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  // A visit where the text never shows within the wait counts as infinitely slow (and is counted in the
  // report), rather than ending the whole bench: Redoc now and then leaves the landing page's first operation
  // unrendered until the reader scrolls.
  const visit = async (target = '/', text = firstPath) => {
    const t = performance.now();
    await page.goto(`${url}${target}`, { waitUntil: 'commit' });
    try {
      await page.getByText(text, { exact: true }).first().waitFor({ state: 'visible', timeout: 30_000 });
    } catch (error) {
      if (/** @type {Error} */ (error).name !== 'TimeoutError') throw error;
      return Number.POSITIVE_INFINITY;
    }
    return performance.now() - t;
  };
  /** @type {Promise<number>[]} */
  const sizes = [];
  /** @param {{ sizes(): Promise<{ responseBodySize: number }> }} request */
  const onFinished = (request) =>
    sizes.push(
      request.sizes().then(
        (s) => s.responseBodySize,
        () => 0,
      ),
    );
  page.on('requestfinished', onFinished);
  const cold = await visit();
  await page.waitForLoadState('networkidle');
  page.off('requestfinished', onFinished);
  const bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  const warm = await visit();
  const deep = await visit(`/#operation/${operation.operationId}`, operation.summary);
  await context.close();
  return { bytes, requests: sizes.length, cold, warm, deep };
}

/**
 * The previous site and the current one (dist/), side by side.
 * @param {{ runs?: number }} [options]
 */
export async function docsLoad({ runs = 5 } = {}) {
  const previousDir = buildPrevious();
  const sites = [
    { name: 'previous site (one 2.7 MB page, uncompressed)', server: await startDocsServer({ port: 0, root: previousDir, log: () => {} }) },
    { name: 'this site (Redoc in a content-named file, br/gzip)', server: await startDocsServer({ port: 0, log: () => {} }) },
  ];
  const browser = await launchChromium();
  /** @type {Awaited<ReturnType<typeof visitOnce>>[][]} */
  const results = sites.map(() => []);
  try {
    for (let i = 0; i < runs; i++) for (const [n, site] of sites.entries()) results[n].push(await visitOnce(browser, site.server.url));
  } finally {
    await browser.close();
    for (const site of sites) await site.server.close();
    rmSync(previousDir, { recursive: true, force: true });
  }
  const [firstPath, firstItem] = Object.entries(doc.paths)[0];
  const [method, operation] = /** @type {[string, any]} */ (Object.entries(firstItem)[0]);
  return {
    runs,
    first: `${method.toUpperCase()} ${firstPath}`,
    summary: operation.summary,
    rows: sites.map((site, n) => ({
      name: site.name,
      weightKiB: round(median(results[n].map((r) => r.bytes)) / 1024),
      requests: median(results[n].map((r) => r.requests)),
      cold: round(median(results[n].map((r) => r.cold))),
      // The fastest run: what the page costs when no other process on the machine gets in its way.
      coldFastest: round(Math.min(...results[n].map((r) => r.cold))),
      warm: round(median(results[n].map((r) => r.warm))),
      neverShown: results[n].filter((r) => r.cold === Number.POSITIVE_INFINITY).length,
      deep: round(median(results[n].map((r) => r.deep))),
    })),
  };
}

/**
 * The report's section.
 * @param {Awaited<ReturnType<typeof docsLoad>>} docs
 * @param {(head: string[], rows: unknown[][]) => string} table
 */
export function docsSection(docs, table) {
  const [before, now] = docs.rows;
  const met = (/** @type {boolean} */ ok) => (ok ? 'met' : '**not met**');
  return `## Docs site in Chromium

Headless Chromium, a fresh browser context per site and run (median of ${docs.runs}, the two sites alternating): bytes
transferred on the first visit (encoded, until the network is idle), the time from navigation until the first
operation (\`${docs.first}\`) is visible on the landing page, cold, then warm (a reload), then that operation's own
page (“${docs.summary}”) opened by its link. The previous site is this build with \`--single-file\`: the page as Redoc
writes it, as \`@qzz/docs\` 0.2 served it (bench/docs-load.js).

${table(
  ['', 'first visit KiB (requests)', 'first operation, cold ms (fastest)', 'warm ms', 'by its link ms'],
  docs.rows.map((r) => [r.name, `${r.weightKiB} (${r.requests})`, `${r.cold} (${r.coldFastest})`, r.warm, r.deep]),
)}

First visit: **${now.weightKiB} KiB** (was ${before.weightKiB}; goal ≤ ${DOCS_GOALS.weightKiB}, ${met(now.weightKiB <= DOCS_GOALS.weightKiB)}).
First operation visible cold: **${now.cold} ms** (was ${before.cold}; goal ≤ ${DOCS_GOALS.coldMs}, ${met(now.cold <= DOCS_GOALS.coldMs)}). On loopback the
bytes hardly count: most of the time is Redoc's own start-up (2.3 MB of script compiled and run, then the page
hydrated); a run slowed by other work on the machine moves the median, the fastest run shows the page's own cost.
Cold visits where the first operation never showed within 30 s (counted as infinitely slow): previous site
${before.neverShown} of ${docs.runs}, this site ${now.neverShown} of ${docs.runs}.`;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const table = (/** @type {string[]} */ head, /** @type {unknown[][]} */ rows) =>
    [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(docsSection(await docsLoad({ runs: Number(process.argv[2] ?? 5) }), table));
}
