import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const specDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = join(specDir, '..');

/** The bundle under test (spec/dist/openapi.json, written by `pnpm bundle`). */
export function loadBundle() {
  return JSON.parse(readFileSync(join(specDir, 'dist', 'openapi.json'), 'utf8'));
}

/**
 * The vendor evidence (../shared/reference beside the repository, or QZZ_REFERENCE_DIR). It is not part of the
 * repository: it holds personal data we do not republish. Tests that read it are skipped where it is absent.
 */
export const referenceDir = process.env.QZZ_REFERENCE_DIR ?? join(repoDir, '..', 'shared', 'reference');
export const hasReference = existsSync(join(referenceDir, 'endpoints'));

export function loadRecords() {
  const dir = join(referenceDir, 'endpoints');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}

export { schemaValidator, validateMedia } from '../lib/validate.js';
