// A HAR recorded by real headless Chromium (issue 17, item 5; see har-chromium.js): readHar reads it back for the
// checker, and the mock answers as the spec says, so the check reports nothing.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHar } from '../src/har.js';
import { calls, recordChromiumHar } from './har-chromium.js';
import { checkReading } from './har-files.js';

describe('a HAR recorded by headless Chromium', () => {
  let dir;
  let harPath;
  let results;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-har-chromium-'));
    harPath = join(dir, 'chromium.har');
    results = await recordChromiumHar(harPath);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('recorded every call, as Chromium writes it', async () => {
    expect(results).toEqual(calls.map(() => 'ok'));
    const har = JSON.parse(await readFile(harPath, 'utf8'));
    const apiEntries = har.log.entries.filter((e) => e.request.method === 'POST');
    expect(apiEntries).toHaveLength(calls.length);
    // Chromium writes the JSON body's text, the answer's text, and its own `_` members.
    expect(apiEntries.every((e) => typeof e.request.postData?.text === 'string' && typeof e.response.content.text === 'string')).toBe(true);
  });

  it("reads it back and checks it: the mock's answers match the spec, no report line", async () => {
    const reading = readHar(harPath);
    const { lines, exchanges, unchecked } = await checkReading(reading);
    expect([exchanges, unchecked]).toEqual([calls.length, 0]);
    // The page itself is the other entry: not the gateway's.
    expect(reading.skipped.byReason).toEqual({ 'not-gateway': reading.entries - calls.length });
    expect(lines).toEqual([]);
  });
});
