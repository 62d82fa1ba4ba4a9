#!/usr/bin/env node
// `pnpm spec:add <record.json> [--name <camelCase>] [--module <slug>] [--dry-run]`: drafts the spec files for
// one evidence record (a reference page or a capture of @qzz/proxy). See docs/keeping-the-spec-true.md.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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
// The draft is planned against the current sources: bundle them first (the bundle names every action and schema).
try {
  execFileSync(process.execPath, [join(specDir, 'scripts', 'bundle.js')], { stdio: ['ignore', 'ignore', 'pipe'] });
} catch (error) {
  console.error(`The spec does not bundle as it is; fix that first:\n${error.stderr}\nNothing was written.`);
  process.exit(1);
}
try {
  const plan = planScaffold(record, { specDir, name: options.name, module: options.module });
  if (!options['dry-run']) writePlan(plan);
  const root = join(specDir, '..');
  console.log(
    `${options['dry-run'] ? 'Would add' : 'Added'} action \`${plan.action.name}\` (${plan.action.kind}) on ${plan.route}, from ${record.source_page}:`,
  );
  for (const file of plan.files.keys()) console.log(`  ${relative(root, file)}`);
  for (const note of plan.notes) console.log(`Note: ${note}`);
  console.log('Review the draft (names, summary, descriptions), then: pnpm lint && pnpm build && pnpm test');
} catch (error) {
  if (!(error instanceof ScaffoldError)) throw error;
  console.error(`${error.message}\nNothing was written.`);
  process.exit(1);
}
