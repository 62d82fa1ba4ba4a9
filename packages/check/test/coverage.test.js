// Reading report files for the coverage table: they come from outside, so their size is bounded before they are read.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPORT_BYTES, readReport } from '../src/coverage.js';

let dir;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qzz-check-coverage-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('readReport', () => {
  it('refuses a file one byte over the limit (a sparse file: nothing of it need be read)', async () => {
    const file = join(dir, 'huge.jsonl');
    const handle = await open(file, 'w');
    await handle.truncate(MAX_REPORT_BYTES + 1);
    await handle.close();
    await expect(readReport(file)).rejects.toThrow(`${file} is over ${MAX_REPORT_BYTES} bytes.`);
  });

  it('counts bytes, not characters: text of three-byte characters over the limit in bytes is refused', async () => {
    const file = join(dir, 'wide.jsonl');
    const line = JSON.stringify({ note: '账'.repeat(10) }); // 10 characters of 3 bytes each, in 42 bytes
    await writeFile(file, `${line}\n`);
    expect(line.length).toBeLessThan(40);
    await expect(readReport(file, { maxBytes: 40 })).rejects.toThrow('is over 40 bytes.');
    expect(await readReport(file, { maxBytes: 43 })).toEqual([{ note: '账'.repeat(10) }]);
  });
});
