// The project's Redocly rules (lint/qzz-plugin.js) refuse what they are there for, run as `pnpm lint` runs them
// on a throwaway copy of the sources.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { copySpec } from './spec-copy.js';

/** @type {Awaited<ReturnType<typeof copySpec>>} */
let copy;
beforeAll(async () => {
  copy = await copySpec();
});
afterAll(() => copy?.remove());

/** Rewrites one YAML source of the copy. */
async function edit(file, change) {
  const path = join(copy.dir, file);
  const source = parse(await readFile(path, 'utf8'));
  change(source);
  await writeFile(path, stringify(source));
}

describe('qzz/parameter-example', () => {
  it('refuses a required parameter without an example, shared or inline', async () => {
    await expect(copy.lint()).resolves.toBeDefined();
    // A tool that generates requests would invent a value the mock then refuses (a nonce that is not digits).
    await edit('components/parameters/XApiNonce.yaml', (p) => delete p.example);
    await edit('paths/system/push_app_authorize.yaml', (p) => delete p.post.parameters[0].example);
    const refused = await copy.lint().then(
      () => '',
      (error) => String(error.stdout ?? '') + String(error.stderr ?? ''),
    );
    expect(refused).toContain('qzz/parameter-example');
    expect(refused).toMatch(/X-Api-Nonce/);
    expect(refused).toMatch(/outerInstanceId/);
  });
});
