// @ts-check
// Which sources a bundle was made from. `pnpm bundle` writes a digest of them beside the bundle
// (dist/sources.sha256); `pnpm spec:add` bundles again only when the sources no longer have that digest, so a
// draft planned right after a build does not pay for a second Redocly run. turbo restores the digest with the
// bundle (both are in dist/), so the two always describe the same sources.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * What a bundle is made of, relative to the spec's folder: the sources, and the code and configuration that
 * bundle them. The `bundle` task's inputs in turbo.json are the same list (spec/test/bundle.test.js checks it).
 */
export const BUNDLE_INPUTS = [
  'openapi.yaml',
  'paths',
  'components',
  'examples',
  'labels',
  'lib/english.js',
  'lib/json-refs.js',
  'lib/yaml-text.js',
  'lint',
  'scripts',
  '../redocly.yaml',
];

/** The digest's file name in the bundle's folder. */
export const STAMP_FILE = 'sources.sha256';

/**
 * `path` itself when it is a file, every file under it when it is a folder (sorted, so the digest does not depend
 * on the order a folder lists), nothing when it is missing.
 * @param {string} path
 * @returns {string[]}
 */
function filesOf(path) {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/**
 * A digest of the bundle's inputs: each file's path (relative to the spec, `/`-separated) and its bytes.
 * @param {string} specDir
 */
export function sourcesDigest(specDir) {
  const hash = createHash('sha256');
  for (const input of BUNDLE_INPUTS) {
    for (const file of filesOf(join(specDir, input))) {
      const name = relative(specDir, file).split(sep).join('/');
      const bytes = readFileSync(file);
      // Name and length first, so no two different sets of files can run together into the same bytes.
      hash.update(`${name}\0${bytes.length}\0`).update(bytes);
    }
  }
  return hash.digest('hex');
}

/**
 * True when `distDir` holds a bundle made from the sources as they are now.
 * @param {string} specDir
 * @param {string} distDir
 */
export function bundleIsCurrent(specDir, distDir) {
  const stamp = join(distDir, STAMP_FILE);
  if (!existsSync(join(distDir, 'openapi.json')) || !existsSync(join(distDir, 'openapi.yaml')) || !existsSync(stamp)) return false;
  return readFileSync(stamp, 'utf8').trim() === sourcesDigest(specDir);
}
