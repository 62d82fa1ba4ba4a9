// Builds the documentation site into dist/: index.html (Redoc, inlined: no CDN), bill-flow.svg, the document it
// renders (openapi.json), and its downloads: the Postman collection and the Arazzo bill flows. Reads only the
// bundle, spec/coverage.yaml and the guides in docs/.
// `node scripts/build.js [--spec <bundle.json>] [--out <dir>]`: another bundle or folder, for tests that check
// what a changed spec would give the site. `--single-file`: the page as Redoc writes it, all inline and with no
// compressed copies: the site as it was before 0.3 (`pnpm bench` measures the two side by side).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { listActions } from '@qzz/spec/actions';
import { parse, stringify } from 'yaml';
import { ARAZZO_FILE, arazzoDocument } from '../src/arazzo.js';
import { precompress, splitRedocLibrary } from '../src/assets.js';
import { billFlowSvg } from '../src/billflow.js';
import { buildChangelog, CHANGELOG_FILES, changelogAtom, loadReleases, pendingNotes, releaseNotes } from '../src/changelog.js';
import { checkVerdictsMarkdown } from '../src/check-verdicts.js';
import { composeDocsDocument, titleOf } from '../src/compose.js';
import { POSTMAN_FILE, postmanCollection } from '../src/postman.js';
import { addTryIt } from '../src/tryit/build.js';
import { tryItData } from '../src/tryit/data.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');
const repoDir = join(packageDir, '..', '..');
const { values: args } = parseArgs({
  options: { spec: { type: 'string' }, out: { type: 'string' }, 'single-file': { type: 'boolean' } },
});
const dist = args.out ? resolve(args.out) : join(packageDir, 'dist');
const read = (path) => readFileSync(path, 'utf8');

const doc = JSON.parse(read(args.spec ? resolve(args.spec) : fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'))));
const svg = billFlowSvg(listActions(doc));
const changelog = buildChangelog({
  releases: loadReleases(join(repoDir, 'spec', 'released')),
  current: doc,
  notes: releaseNotes(read(join(repoDir, 'spec', 'CHANGELOG.md'))),
  pending: pendingNotes(join(repoDir, '.changeset')),
  titleOf,
});
const site = composeDocsDocument(doc, {
  gettingStarted: read(join(repoDir, 'docs', 'getting-started.md')),
  authentication: read(join(repoDir, 'docs', 'authentication.md')),
  coverage: parse(read(fileURLToPath(import.meta.resolve('@qzz/spec/coverage.yaml')))),
  downloads: [
    { file: POSTMAN_FILE, label: 'Postman collection (v2.1; imports into Postman and Apifox)' },
    { file: ARAZZO_FILE, label: 'Bill flows as Arazzo 1.0 workflows (run with `redocly respect`)' },
  ],
  // A check report, when one is named: each action's last verdict against a tenant on the Coverage page.
  checkVerdicts: process.env.QZZ_CHECK_REPORT ? await checkVerdictsMarkdown(doc, resolve(process.env.QZZ_CHECK_REPORT)) : '',
  changelog,
});

// The package's own dist/ is rebuilt from nothing; a folder named by --out is only written into.
if (!args.out) rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
writeFileSync(join(dist, 'bill-flow.svg'), svg);
writeFileSync(join(dist, 'openapi.json'), `${JSON.stringify(site, null, 2)}\n`);
writeFileSync(join(dist, POSTMAN_FILE), `${JSON.stringify(postmanCollection(doc), null, 2)}\n`);
// The workflows' source description is the site's openapi.json beside them: the same operations as the bundle.
writeFileSync(join(dist, ARAZZO_FILE), stringify(arazzoDocument(doc, 'openapi.json')));
writeFileSync(join(dist, CHANGELOG_FILES.json), `${JSON.stringify(changelog, null, 2)}\n`);
writeFileSync(join(dist, CHANGELOG_FILES.atom), changelogAtom(changelog));
// Redoc 3 shows a code sample only when its label is one of the configured languages, and one sample per
// label on an operation: so every label (one per action on shared routes) is listed, then the request payload.
const labels = new Set(
  Object.values(site.paths).flatMap((item) => Object.values(item).flatMap((op) => (op['x-codeSamples'] ?? []).map((s) => s.label))),
);
const redocConfig = {
  telemetry: 'off',
  openapi: {
    hideDownloadButtons: false,
    jsonSamplesExpandLevel: 2,
    // The one extension a reader needs on a field: the marker of a field the vendor's page does not label.
    showExtensions: ['x-qzz-label'],
    codeSamples: { languages: [...labels, 'Payload'].map((label) => ({ lang: label })) },
  },
};
const configDir = mkdtempSync(join(tmpdir(), 'qzz-docs-'));
try {
  writeFileSync(join(configDir, 'redocly.yaml'), stringify(redocConfig));
  execFileSync(
    join(packageDir, 'node_modules', '.bin', 'redocly'),
    [
      'build-docs',
      join(dist, 'openapi.json'),
      '--output',
      join(dist, 'index.html'),
      '--inlineBundle',
      '--template',
      join(here, 'template.hbs'),
      '--title',
      `${doc.info.title} — reference`,
      '--config',
      join(configDir, 'redocly.yaml'),
    ],
    { cwd: packageDir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
} finally {
  rmSync(configDir, { recursive: true, force: true });
}

// Redoc's page still points at Redocly's CDN for its footer logo and some icons. Served from here instead,
// the site makes no request beyond its own host: the logo is a local file, the icons are not fetched.
const html = read(join(dist, 'index.html'));
const offline = html
  .replaceAll(/https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(-full)?\.svg/g, 'redocly-logo.svg')
  .replaceAll(/https:\/\/cdn\.redocly\.com\/icons\//g, 'icons/');
const leftover = offline.match(/https:\/\/cdn\.[a-z.]+\/[^"'`\s)]*/g);
if (leftover) throw new Error(`The built page still references a CDN: ${[...new Set(leftover)].join(', ')}`);
writeFileSync(
  join(dist, 'index.html'),
  args['single-file']
    ? offline
    : await addTryIt(
        splitRedocLibrary(offline, dist),
        dist,
        tryItData(doc, (action) => titleOf(doc, action)),
      ),
);
writeFileSync(
  join(dist, 'redocly-logo.svg'),
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 16" width="64" height="16"><text x="0" y="12" fill="#32329f" font-family="sans-serif" font-size="12" font-weight="600">Redocly</text></svg>\n',
);
if (!args['single-file']) precompress(dist);
console.log(`docs written to ${dist}`);
