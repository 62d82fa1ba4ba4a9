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
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChecks } from '../src/checks.js';
import { checkHar, readHar } from '../src/har.js';
import { openReport } from '../src/report.js';
import { toSarif } from '../src/sarif.js';
import { harHeaders, SPEC } from './har-files.js';
import { EXCHANGES, echoAnswer, filesUnder, findPlanted, PLANTED } from './planted.js';

/** How an entry writes the request's body and cookies, and the answer's body. */
const VARIANTS = [
  { body: 'text', cookies: 'header', answer: 'plain' },
  { body: 'params', cookies: 'list', answer: 'base64' },
  { body: 'base64', cookies: 'both', answer: 'gzip' },
];

/** The answer the stand-in of the proxy's replay gives: every named planted value, echoed in every encoding. */
function answerOf(path, echo) {
  const answer = echoAnswer(echo);
  return path.startsWith('/mxoc_planted/text-answer')
    ? { mimeType: 'text/plain', text: answer.data.sentence }
    : { mimeType: 'application/json', text: JSON.stringify(answer) };
}

/** One planted exchange as a HAR entry, written as `variant` says. */
function plantedEntry({ path, headers, body, echo }, variant) {
  const cookie = headers.cookie;
  const requestHeaders = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'cookie' || variant.cookies !== 'list'));
  const cookies =
    cookie && variant.cookies !== 'header'
      ? cookie.split('; ').map((pair) => ({ name: pair.split('=')[0], value: pair.slice(pair.indexOf('=') + 1) }))
      : [];
  const mimeType = headers['content-type'] ?? 'application/json';
  const isForm = mimeType === 'application/x-www-form-urlencoded';
  const postData =
    variant.body === 'params' && isForm
      ? { mimeType, params: [...new URLSearchParams(body)].map(([name, value]) => ({ name, value })) }
      : variant.body === 'base64'
        ? { mimeType, text: Buffer.from(body).toString('base64'), encoding: 'base64' }
        : { mimeType, text: body, params: [] };
  const { mimeType: answerType, text } = answerOf(path, echo);
  const gzip = variant.answer === 'gzip';
  const content =
    variant.answer === 'plain'
      ? { size: text.length, mimeType: answerType, text }
      : {
          size: text.length,
          mimeType: answerType,
          text: (gzip ? gzipSync(text) : Buffer.from(text)).toString('base64'),
          encoding: 'base64',
        };
  // The answer sets the session cookie again: as a Set-Cookie header, or only in HAR's cookie list.
  const setCookie = `SESSIONID=${PLANTED.cookieSession}; Path=/; HttpOnly`;
  return {
    startedDateTime: '2026-11-29T06:02:11.512Z',
    request: { method: 'POST', url: `https://api.kingdee.com${path}`, headers: harHeaders(requestHeaders), cookies, postData },
    response: {
      status: 200,
      headers: harHeaders({
        'content-type': answerType,
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        ...(variant.cookies === 'list' ? {} : { 'set-cookie': setCookie }),
      }),
      cookies: variant.cookies === 'header' ? [] : [{ name: 'SESSIONID', value: PLANTED.cookieSession }],
      content,
    },
  };
}

describe('the planted-secrets replay, from a HAR', () => {
  let dir;
  let files;
  let reading;
  const lines = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-har-planted-'));
    /** @type {any[]} */
    const entries = EXCHANGES.flatMap((exchange) => VARIANTS.map((variant) => plantedEntry(exchange, variant)));
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
