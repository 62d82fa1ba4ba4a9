// Bundles spec/openapi.yaml into spec/dist/openapi.yaml with Redocly, then writes the same document as
// spec/dist/openapi.json. The JSON is written from the YAML bundle so the two can never differ.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const specDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = resolve(specDir, process.argv[2] ?? 'dist');
mkdirSync(distDir, { recursive: true });

const redocly = join(specDir, 'node_modules', '.bin', 'redocly');
execFileSync(
  redocly,
  ['bundle', 'openapi.yaml', '--output', join(distDir, 'openapi.yaml'), '--config', '../redocly.yaml'],
  { cwd: specDir, stdio: ['ignore', 'ignore', 'inherit'] },
);
const doc = parse(readFileSync(join(distDir, 'openapi.yaml'), 'utf8'));
writeFileSync(join(distDir, 'openapi.json'), `${JSON.stringify(doc, null, 2)}\n`);
console.log(`bundled ${Object.keys(doc.paths).length} paths into ${distDir}/openapi.{yaml,json}`);
