// Where the vendor evidence lives (../shared/reference beside the repository, or QZZ_REFERENCE_DIR) and its
// records. It is not part of the repository: it holds personal data we do not republish. Tests that read it
// are skipped where it is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const referenceDir = process.env.QZZ_REFERENCE_DIR ?? join(repoDir, '..', 'shared', 'reference');
export const hasReference = existsSync(join(referenceDir, 'endpoints'));

/** Every record of `endpoints/` (vendor pages and the third-party one), parsed. */
export function loadRecords() {
  const dir = join(referenceDir, 'endpoints');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}
