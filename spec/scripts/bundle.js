// Bundles spec/openapi.yaml with Redocly, adds the English of spec/labels/en.yaml (lib/english.js), and writes
// the result as spec/dist/openapi.yaml and spec/dist/openapi.json: both from the same document, so they can
// never differ. Beside them, dist/sources.sha256 names the sources they were made from (lib/bundle-stamp.js).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { STAMP_FILE, sourcesDigest } from '../lib/bundle-stamp.js';
import { applyEnglish } from '../lib/english.js';
import { bundleReferenceProblems, sourceReferenceProblems } from '../lib/json-refs.js';
import { yamlText } from '../lib/yaml-text.js';

const specDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = resolve(specDir, process.argv[2] ?? 'dist');
mkdirSync(distDir, { recursive: true });
// Taken before Redocly reads anything: a source changed while it runs makes the stamp stale, never wrong. The
// old stamp goes first, so a bundle that fails half-way is never taken for the current one.
const digest = sourcesDigest(specDir);
rmSync(join(distDir, STAMP_FILE), { force: true });

/**
 * Stops on references that leave the spec (lib/json-refs.js), since a tool would read what they name, and
 * takes the bundle away rather than leave one that holds them (or an older one that seems current).
 */
const refuse = (problems, stage) => {
  if (!problems.length) return;
  for (const file of ['openapi.yaml', 'openapi.json', STAMP_FILE]) rmSync(join(distDir, file), { force: true });
  console.error(`${stage}: ${problems.length} reference(s) outside the spec's own files; no bundle written:\n  ${problems.join('\n  ')}`);
  process.exit(1);
};
// Before Redocly reads anything: it follows each `$ref` and `externalValue` of the sources.
const load = (file) => {
  try {
    return parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // Redocly reports a file it cannot read or parse.
  }
};
refuse(sourceReferenceProblems(specDir, load), 'spec sources');

const redocly = join(specDir, 'node_modules', '.bin', 'redocly');
// Redocly writes JSON, which reads back far faster than its YAML; both files are written from it below.
execFileSync(redocly, ['bundle', 'openapi.yaml', '--output', join(distDir, 'openapi.json'), '--config', '../redocly.yaml'], {
  cwd: specDir,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const doc = JSON.parse(readFileSync(join(distDir, 'openapi.json'), 'utf8'));
// After it: what Redocly left unresolved (an example's value, which it does not walk) the mock's Prism would follow.
refuse(bundleReferenceProblems(doc), 'bundle');
const untranslated = applyEnglish(doc, parse(readFileSync(join(specDir, 'labels', 'en.yaml'), 'utf8')));
// The bundle still builds, so everything downstream keeps working; spec/test/english.test.js fails on these.
if (untranslated.length) console.warn(`spec/labels/en.yaml lacks English for ${untranslated.length}: ${untranslated.join('; ')}`);
// Quoted wherever a YAML 1.1 loader would read a string as a date, a boolean or a number (lib/yaml-text.js).
writeFileSync(join(distDir, 'openapi.yaml'), yamlText(doc));
writeFileSync(join(distDir, 'openapi.json'), `${JSON.stringify(doc, null, 2)}\n`);
writeFileSync(join(distDir, STAMP_FILE), `${digest}\n`);
console.log(`bundled ${Object.keys(doc.paths).length} paths into ${distDir}/openapi.{yaml,json}`);
