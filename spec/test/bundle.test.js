// The bundle is a pure function of the sources: bundling twice gives the same bytes, and the build output in
// spec/dist (ignored by git, written by `pnpm bundle`) matches a fresh bundle. It stands alone: every
// reference resolves inside it, and every route of the sources is in it. And its YAML is the JSON's document
// to every YAML loader, 1.1 as well as 1.2.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolvePointer } from '../lib/actions.js';
import { BUNDLE_INPUTS, bundleIsCurrent, STAMP_FILE, sourcesDigest } from '../lib/bundle-stamp.js';
import { yamlText } from '../lib/yaml-text.js';
import { loadBundle, repoDir, specDir } from './helpers.js';
import { copySpec, editSource } from './spec-copy.js';

const dirs = [];
function bundleInto() {
  const dir = mkdtempSync(join(tmpdir(), 'qzz-bundle-'));
  dirs.push(dir);
  execFileSync(process.execPath, [join(specDir, 'scripts', 'bundle.js'), dir], { stdio: 'ignore' });
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Every `$ref` in `node`, with where it sits. */
function refs(node, at = '#', out = []) {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) refs(item, `${at}/${i}`, out);
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push([at, value]);
      else refs(value, `${at}/${key}`, out);
    }
  }
  return out;
}

describe('bundle', () => {
  it('is deterministic, and spec/dist is up to date', () => {
    const [a, b] = [bundleInto(), bundleInto()];
    for (const file of ['openapi.yaml', 'openapi.json']) {
      const first = readFileSync(join(a, file));
      expect(first.equals(readFileSync(join(b, file))), `${file} differs between two bundles`).toBe(true);
      expect(first.equals(readFileSync(join(specDir, 'dist', file))), `spec/dist/${file} is stale: run pnpm bundle`).toBe(true);
    }
  });

  it('stands alone: every reference is a pointer into the bundle that resolves, and every source route is in it', () => {
    const doc = loadBundle();
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter(([, ref]) => !ref.startsWith('#/') || resolvePointer(doc, ref) === undefined)).toEqual([]);
    const root = parse(readFileSync(join(specDir, 'openapi.yaml'), 'utf8'));
    expect(Object.keys(doc.paths)).toEqual(Object.keys(root.paths));
  });
});

describe('the YAML bundle', () => {
  // What YAML 1.1 (PyYAML, SnakeYAML, go-yaml v2, Ruby's Psych…) reads as something other than a string, and
  // what YAML 1.2's core schema does.
  const ambiguous = [
    ...['2023-03-06 15:06:04', '2002-12-14', '2001-12-14t21:59:43.10-05:00'],
    ...['yes', 'No', 'on', 'OFF', 'y', 'N', 'true', 'False', 'null', 'Null', '~', ''],
    ...['0755', '-0307', '012', '08', '0x1F', '0b101', '0o17', '1_000', '-1_0', '1:20', '1:20:30.5', '190:20:30'],
    ...['.inf', '-.Inf', '+.INF', '.nan', '.NaN', '1e3', '+12', '.5', '0.0000000000', '6.8523015e+5', '685_230.15'],
    ...['=', '<<', '- a', 'a: b', '#x', '&a', '*a', '!tag', '@x', '`x', '%x', '? x', '[a]', '{a}', ' lead', 'trail '],
  ];

  it.each(ambiguous)('keeps %j a string under YAML 1.1 and 1.2, as a value and as a key', (text) => {
    const value = { [text]: text, list: [text] };
    const written = yamlText(value);
    expect(parse(written, { version: '1.1' })).toEqual(value);
    expect(parse(written, { version: '1.2' })).toEqual(value);
  });

  it('leaves plain what every loader reads as the same string', () => {
    expect(yamlText({ a: 'push', b: 'mxoc_pom_scrap', c: '单据编号' })).toBe('a: push\nb: mxoc_pom_scrap\nc: 单据编号\n');
  });

  it('loads as the JSON bundle with a YAML 1.1 loader and with a YAML 1.2 one', () => {
    const yaml = readFileSync(join(specDir, 'dist', 'openapi.yaml'), 'utf8');
    expect(parse(yaml, { version: '1.1' })).toEqual(loadBundle());
    expect(parse(yaml, { version: '1.2' })).toEqual(loadBundle());
  });
});

describe('the stamp of the sources a bundle was made from', () => {
  it('names every input of the bundle task in turbo.json, and nothing else', () => {
    const turbo = JSON.parse(readFileSync(join(repoDir, 'turbo.json'), 'utf8'));
    // turbo's globs for the same inputs: a folder is everything under it, the root is $TURBO_ROOT$.
    const asTurbo = BUNDLE_INPUTS.map((input) =>
      input.startsWith('../') ? `$TURBO_ROOT$/${input.slice(3)}` : input.includes('.') ? input : `${input}/**`,
    );
    expect([...turbo.tasks.bundle.inputs].sort()).toEqual(asTurbo.sort());
  });

  it('is written beside the bundle and goes stale when a source changes, until the next bundle', async () => {
    const copy = await copySpec();
    try {
      await copy.bundle();
      const dist = join(copy.dir, 'dist');
      expect(readFileSync(join(dist, STAMP_FILE), 'utf8').trim()).toBe(sourcesDigest(copy.dir));
      expect(bundleIsCurrent(copy.dir, dist)).toBe(true);
      const before = await editSource(copy.dir, 'labels/en.yaml', (doc) => doc.set('x-qzz-round-trip', 'changed'));
      expect(bundleIsCurrent(copy.dir, dist)).toBe(false);
      await writeFile(join(copy.dir, 'labels', 'en.yaml'), before);
      expect(bundleIsCurrent(copy.dir, dist)).toBe(true);
      rmSync(join(dist, 'openapi.yaml'));
      expect(bundleIsCurrent(copy.dir, dist)).toBe(false);
    } finally {
      await copy.remove();
    }
  });

  it('is taken away by a bundle that fails, so a half-written bundle never passes for the current one', async () => {
    const copy = await copySpec();
    try {
      await copy.bundle();
      // A reference out of the spec's folder: the bundle refuses it and writes nothing.
      await editSource(copy.dir, 'openapi.yaml', (doc) => doc.setIn(['paths', '/outside'], doc.createNode({ $ref: '../outside.yaml' })));
      await expect(copy.bundle()).rejects.toThrow();
      expect(existsSync(join(copy.dir, 'dist', STAMP_FILE))).toBe(false);
    } finally {
      await copy.remove();
    }
  });
});
