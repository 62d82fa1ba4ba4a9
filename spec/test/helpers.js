import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const specDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = join(specDir, '..');

/** The bundle under test (spec/dist/openapi.json, written by `pnpm bundle`). */
export function loadBundle() {
  return JSON.parse(readFileSync(join(specDir, 'dist', 'openapi.json'), 'utf8'));
}

// The vendor evidence (../shared/reference): see lib/reference.js.
export { hasReference, loadRecords, referenceDir } from '../lib/reference.js';

export { schemaValidator, validateMedia } from '../lib/validate.js';
