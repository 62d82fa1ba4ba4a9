// The bundle is a pure function of the sources: bundling twice gives the same bytes, and the build output in
// spec/dist (ignored by git, written by `pnpm bundle`) matches a fresh bundle. And it stands alone: every
// reference resolves inside it, and every route of the sources is in it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolvePointer } from '../lib/actions.js';
import { loadBundle, specDir } from './helpers.js';

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
