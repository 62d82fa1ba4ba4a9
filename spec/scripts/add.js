#!/usr/bin/env node
// `pnpm spec:add <record.json> [--name <camelCase>] [--module <slug>] [--dry-run]`: drafts the spec files for
// one evidence record (a reference page or a capture of @qzz/proxy), then checks the draft: Biome on the files
// it wrote, Redocly's lint of the spec, and the bundle (through turbo, so the build that follows reuses both).
// See docs/keeping-the-spec-true.md.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleIsCurrent } from '../lib/bundle-stamp.js';
import { recordProblems } from '../lib/record.js';
import { planScaffold, ScaffoldError, writePlan } from '../lib/scaffold.js';

const usage = 'Usage: pnpm spec:add <record.json> [--name <camelCase action name>] [--module <module slug>] [--dry-run]';
const specDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, module: { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean' } },
  });
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
const { values: options, positionals } = parsed;
if (options.help) {
  console.log(usage);
  process.exit(0);
}
if (positionals.length !== 1) {
  console.error(`Name one record file.\n${usage}`);
  process.exit(2);
}
// pnpm runs root scripts from the repository root; a relative path is the caller's.
const recordPath = resolve(process.env.INIT_CWD ?? process.cwd(), positionals[0]);
let record;
try {
  record = JSON.parse(readFileSync(recordPath, 'utf8'));
} catch (error) {
  console.error(`Cannot read ${recordPath} as JSON: ${error.message}. Nothing was written.`);
  process.exit(1);
}
const problems = recordProblems(record);
if (problems.length) {
  console.error(`The record cannot be scaffolded:\n${problems.map((p) => `  - ${p}`).join('\n')}\nNothing was written.`);
  process.exit(1);
}
// The draft is planned against the current sources (the bundle names every action and schema): bundled again
// only when they changed since the last bundle (after `pnpm build` they have not).
if (!bundleIsCurrent(specDir, join(specDir, 'dist'))) {
  try {
    execFileSync(process.execPath, [join(specDir, 'scripts', 'bundle.js')], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    console.error(`The spec does not bundle as it is; fix that first:\n${error.stderr}\nNothing was written.`);
    process.exit(1);
  }
}
const root = join(specDir, '..');
let plan;
try {
  plan = planScaffold(record, { specDir, name: options.name, module: options.module });
  if (!options['dry-run']) writePlan(plan);
} catch (error) {
  if (!(error instanceof ScaffoldError)) throw error;
  console.error(`${error.message}\nNothing was written.`);
  process.exit(1);
}
console.log(
  `${options['dry-run'] ? 'Would add' : 'Added'} action \`${plan.action.name}\` (${plan.action.kind}) on ${plan.route}, from ${record.source_page}:`,
);
for (const file of plan.files.keys()) console.log(`  ${relative(root, file)}`);
for (const note of plan.notes) console.log(`Note: ${note}`);
if (options['dry-run']) process.exit(0);

/**
 * Runs a tool of the repository's root from there; false, its output shown, when it fails.
 * @param {string} tool a binary of the root's node_modules/.bin
 * @param {string[]} args
 */
const check = (tool, args) => {
  try {
    execFileSync(join(root, 'node_modules', '.bin', tool), args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    return true;
  } catch (error) {
    console.error(`${error.stdout ?? ''}${error.stderr ?? error.message}`);
    return false;
  }
};
// Biome formats the JSON files it wrote (the examples) as `pnpm format` would — it writes a short list on one
// line, JSON.stringify one item a line — and lints them. YAML is Redocly's, which lints a spec only whole. The
// bundle is made in the same turbo run as the lint, beside it, and cached: `pnpm build` and `pnpm lint` reuse both.
const json = [...plan.files.keys()].filter((file) => file.endsWith('.json')).map((file) => relative(root, file));
const checked =
  (json.length === 0 || check('biome', ['check', '--write', ...json])) &&
  check('turbo', ['run', 'lint', 'bundle', '--filter=@qzz/spec', '--output-logs=errors-only']);
if (!checked) {
  console.error('The draft is written, but does not pass the checks above: fix it, then run pnpm build.');
  process.exit(1);
}
console.log('Linted and bundled. Review the draft (names, summary, descriptions), then:');
console.log('  pnpm build --filter=@qzz/client   the client only, to call the new action (pnpm build: everything)');
console.log('  pnpm test                         everything, before a pull request');
