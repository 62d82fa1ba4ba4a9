// The bundle is a pure function of the sources: bundling twice gives the same bytes, and the committed
// build output in spec/dist matches a fresh bundle.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { specDir } from './helpers.js';

const dirs = [];
function bundleInto() {
  const dir = mkdtempSync(join(tmpdir(), 'qzz-bundle-'));
  dirs.push(dir);
  execFileSync(process.execPath, [join(specDir, 'scripts', 'bundle.js'), dir], { stdio: 'ignore' });
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('bundle', () => {
  it('is deterministic, and spec/dist is up to date', () => {
    const [a, b] = [bundleInto(), bundleInto()];
    for (const file of ['openapi.yaml', 'openapi.json']) {
      const first = readFileSync(join(a, file));
      expect(first.equals(readFileSync(join(b, file))), `${file} differs between two bundles`).toBe(true);
      expect(first.equals(readFileSync(join(specDir, 'dist', file))), `spec/dist/${file} is stale: run pnpm bundle`).toBe(true);
    }
  });

  it('writes the same document as YAML and JSON', async () => {
    const { parse } = await import('yaml');
    const yaml = parse(readFileSync(join(specDir, 'dist', 'openapi.yaml'), 'utf8'));
    expect(JSON.parse(readFileSync(join(specDir, 'dist', 'openapi.json'), 'utf8'))).toEqual(yaml);
  });
});
