// The built site republishes no personal data: no unmasked mobile number, and none of the personal values of
// the vendor's evidence (where ../shared/reference is present). Reads dist/, which `pnpm build` writes (turbo
// builds before it tests).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MOBILE, personalValues } from '@qzz/spec/personal';
import { describe, expect, it } from 'vitest';
// The evidence sits beside the repository, not in the package: the helper is imported from the workspace.
import { hasReference, loadRecords } from '../../../spec/lib/reference.js';
import { ARAZZO_FILE } from '../src/arazzo.js';
import { POSTMAN_FILE } from '../src/postman.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** Every file of the built site, as text (its .br and .gz copies are made from these files). */
function site() {
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist} is not built: run \`pnpm build\` first.`);
  return readdirSync(dist, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !/\.(br|gz)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .map((file) => [relative(dist, file), readFileSync(file, 'utf8')]);
}

describe('the built docs', () => {
  const files = site();

  it('are the whole site, pages and spec', () => {
    expect(files.map(([name]) => name)).toEqual(expect.arrayContaining(['index.html', 'openapi.json', POSTMAN_FILE, ARAZZO_FILE]));
  });

  it('hold no unmasked mobile number', () => {
    expect(files.flatMap(([name, text]) => (text.match(MOBILE) ?? []).map((m) => `${name}: ${m}`))).toEqual([]);
  });

  it.skipIf(!hasReference)('hold none of the personal values of the evidence', () => {
    const values = loadRecords()
      .flatMap((r) => [...personalValues(r.request_example), ...personalValues(r.response_example)])
      .map(([v]) => v);
    expect(values.length).toBeGreaterThan(0);
    expect(files.flatMap(([name, text]) => values.filter((v) => text.includes(v)).map((v) => `${name}: ${v}`))).toEqual([]);
  });
});
