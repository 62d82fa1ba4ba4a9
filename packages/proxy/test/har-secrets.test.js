// The planted-secrets replay for recordings (issue 17, items 2 and 5): the proxy's planted exchanges written as
// HAR entries the ways the tools write them — secrets in the query, headers, cookies (as headers and as HAR's
// cookie lists, Set-Cookie included), form bodies (text and `params`), base64 and gzip bodies — with answers that
// echo every planted value in every encoding. The recording is read by readHar and checked by the proxy's checker
// as `check --har` does (report file, capture folder, console), then written as SARIF; every file name and byte of
// those outputs, the console and what readHar says of skipped entries are scanned for every planted value in every
// encoding: none may be there.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChecks } from '../src/checks.js';
import { checkHar, readHar } from '../src/har.js';
import { openReport } from '../src/report.js';
import { toSarif } from '../src/sarif.js';
import { SPEC } from './har-files.js';
import { plantedEntries, VARIANTS } from './har-planted.js';
import { EXCHANGES, filesUnder, findPlanted, PLANTED } from './planted.js';

describe('the planted-secrets replay, from a HAR', () => {
  let dir;
  let files;
  let reading;
  const lines = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-har-planted-'));
    /** @type {any[]} */
    const entries = plantedEntries();
    // A page of the same site, with the token in its query: skipped, and not named where it is counted.
    entries.push({
      request: { method: 'GET', url: `https://tenant.example.cn/home?token=${PLANTED.refreshToken}` },
      response: { status: 200 },
    });
    const har = join(dir, 'recording.har');
    await writeFile(har, JSON.stringify({ log: { version: '1.2', creator: { name: 'qzz-test', version: '1' }, entries } }));
    const consoleLines = [];
    const log = (line) => consoleLines.push(line);
    const out = join(dir, 'out');
    const report = await openReport({ file: join(dir, 'report.jsonl'), onReport: (line) => lines.push(line), log });
    const checks = await startChecks({ spec: SPEC, capture: join(out, 'records'), log, onSettled: (settled) => report.add(settled) });
    reading = readHar(har);
    try {
      await checkHar(reading, checks);
    } finally {
      await checks.close();
      await report.close();
    }
    await writeFile(join(out, 'report.sarif'), JSON.stringify(toSarif(lines)));
    await rm(har);
    files = [
      ...(await filesUnder(dir)),
      { file: 'console', text: consoleLines.join('\n') },
      { file: 'skipped', text: JSON.stringify(reading.skipped) },
    ];
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('checked every planted entry in every variant: a record of each new route and action, a report, SARIF', () => {
    expect(reading.entries).toBe(EXCHANGES.length * VARIANTS.length + 1);
    expect(reading.skipped.byReason).toEqual({ 'not-gateway': 1 });
    expect(files.filter((f) => f.file.startsWith('out/records/'))).toHaveLength(8);
    expect(lines.some((line) => line.kind === 'undocumented-field')).toBe(true);
    expect(files.find((f) => f.file === 'out/report.sarif')?.text).toContain('"version":"2.1.0"');
  });

  it('leaves no planted value, in any encoding, in any file name or byte written, on the console or in what is said of skipped entries', () => {
    const found = findPlanted(files);
    expect(Object.fromEntries(found)).toEqual({});
  });
});
