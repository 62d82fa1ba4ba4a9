// `check --har` (issue 17, items 2, 3 and 5): the verdicts of a recording, through the same checker and verdicts
// as `check --upstream`. A HAR recorded by real headless Chromium of a page calling the mock through @qzz/client
// (the proxy's recording helper); hand-made HARs with drift, a business refusal, an undocumented action and entries
// off the gateway; the proxy's planted secrets in every place a HAR holds them; SARIF validated against the SARIF
// 2.1.0 schema (the proxy's fixture) with every location an existing spec file and line; JUnit read by a JUnit parser.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import formats from 'ajv-formats';
import { parse as parseJunit } from 'junit2json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordChromiumHar } from '../../proxy/test/har-chromium.js';
import { actionEntry, business, doc, harHeaders, harJsonAnswer, harText, recordFromMock } from '../../proxy/test/har-files.js';
import { plantedEntries } from '../../proxy/test/har-planted.js';
import { filesUnder, findPlanted } from '../../proxy/test/planted.js';
import { check } from '../src/index.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.resolve('@qzz/spec/coverage.yaml'))));
// CommonJS modules: their default export is the module object under Node's ESM, the class and function within.
const Ajv = /** @type {any} */ (AjvDraft04).default ?? AjvDraft04;
const addFormats = /** @type {any} */ (formats).default ?? formats;
const SCHEMA = JSON.parse(readFileSync(new URL('../../proxy/test/fixtures/sarif-2.1.0-rtm.5.schema.json', import.meta.url), 'utf8'));

const byName = (name) => /** @type {any} */ (business.find((a) => a.name === name));
const verdictOf = (result, name) => result.verdicts.find((v) => v.action === name);

let dir;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qzz-check-har-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('check --har of a recording by headless Chromium', () => {
  it('every business action the page called matches; the rest are not in the recording; exit 0', async () => {
    const har = join(dir, 'chromium.har');
    const results = await recordChromiumHar(har);
    expect(results.every((r) => r === 'ok')).toBe(true);
    const result = await check({ har });
    expect(result.exitCode).toBe(0);
    expect(result.calls).toBe(0);
    for (const action of business) expect(verdictOf(result, action.name)).toMatchObject({ verdict: 'matches', source: 'har' });
    const others = result.verdicts.filter((v) => !business.some((a) => a.name === v.action));
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((v) => v.verdict === 'not-run' && v.reason === 'not in the recording')).toBe(true);
    expect(result.recording?.exchanges).toBe(business.length);
    expect(result.recording?.skipped.byReason).toEqual({ 'not-gateway': /** @type {any} */ (result.recording).entries - business.length });
  }, 120_000);
});

/** A recording with drift, a business refusal, an undocumented action, a match, and entries off the gateway. */
async function mixedEntries() {
  const push = byName('pushOrderExecutionToSparePartsUse');
  const answer = doc.components.examples[push.examples.response].value;
  const [base, spareParts] = await recordFromMock([push, byName('getSparePartsUse')]);
  return [
    actionEntry(push, { answer: { ...answer, success: 'true' } }), // drift: success is a string
    base, // and a matching one: drift wins
    actionEntry(byName('getInspection'), { answer: { success: false, errorCode: 'E_BIZ_42', message: 'no such bill' } }),
    spareParts,
    { ...base, request: { ...base.request, postData: { mimeType: 'application/json', text: '{"operation":"unheard-of"}' } } },
    {
      request: { method: 'GET', url: 'https://tenant.example.cn/app.js', headers: [] },
      response: { status: 200, headers: [], content: { size: 3, mimeType: 'text/javascript', text: '1;1' } },
    },
    { request: { method: 'GET', url: 'https://tenant.example.cn/blocked.js', headers: [] }, response: { status: 0, headers: [] } },
  ];
}

describe('check --har of a hand-made recording', () => {
  let result;
  let out;
  beforeAll(async () => {
    out = join(dir, 'mixed');
    const har = join(dir, 'mixed.har');
    await writeFile(har, harText(await mixedEntries()));
    result = await check({
      har,
      report: join(dir, 'mixed.jsonl'),
      junit: join(dir, 'mixed.xml'),
      sarif: join(dir, 'mixed.sarif'),
      capture: out,
    });
  });

  it('judges as --upstream does: drift, refused with its errorCode, matches; exit 1', () => {
    expect(result.exitCode).toBe(1);
    expect(verdictOf(result, 'pushOrderExecutionToSparePartsUse')).toMatchObject({ verdict: 'drift', source: 'har' });
    expect(verdictOf(result, 'pushOrderExecutionToSparePartsUse').reason).toMatch(
      /^in 1 of 2 recorded exchanges, the first: 1 discrepancy: response 200 \/success type/,
    );
    expect(verdictOf(result, 'getInspection')).toMatchObject({ verdict: 'refused', errorCode: 'E_BIZ_42' });
    expect(verdictOf(result, 'getSparePartsUse')).toMatchObject({ verdict: 'matches' });
    expect(verdictOf(result, 'saveProcess')).toMatchObject({ verdict: 'not-run', reason: 'not in the recording' });
  });

  it('counts and skips entries off the gateway, in the result', () => {
    expect(result.recording).toEqual({
      entries: 7,
      exchanges: 5,
      unchecked: 0,
      skipped: { count: 2, byReason: { 'not-gateway': 1, 'no-answer': 1 } },
    });
  });

  it('reports the undocumented action as the proxy does, captures it, and counts it in the coverage', async () => {
    const lines = (await readFile(join(dir, 'mixed.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => l.kind === 'unknown-action' && l.route === 'POST /app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup')).toBe(true);
    expect(lines.filter((l) => l.verdict).every((l) => l.source === 'har')).toBe(true);
    expect((await readdir(out, { recursive: true })).some((name) => name.endsWith('.json'))).toBe(true);
    expect(result.coverage).toMatch(/Routes or actions the spec lacks, seen in traffic: 1\n/);
  });

  it('writes JUnit a JUnit parser reads: drift and refused fail', async () => {
    const parsed = /** @type {any} */ (await parseJunit(await readFile(join(dir, 'mixed.xml'), 'utf8')));
    const cases = parsed.testsuite.flatMap((suite) => suite.testcase);
    expect(cases.length).toBe(result.verdicts.length);
    expect(cases.find((c) => c.name === 'getInspection').failure[0].type).toBe('refused');
    expect(cases.find((c) => c.name === 'pushOrderExecutionToSparePartsUse').failure[0].type).toBe('drift');
    expect(parsed.failures).toBe(2);
  });

  it('writes SARIF 2.1.0 valid against its schema, every location an existing spec file and line', async () => {
    const sarif = JSON.parse(await readFile(join(dir, 'mixed.sarif'), 'utf8'));
    // The schema's language pattern is not a valid regular expression in unicode mode: read it as published.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const valid = ajv.validate(SCHEMA, sarif);
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    const results = sarif.runs[0].results;
    // One result per discrepancy of the report (the drifted push's type, the undocumented action, and what else they show).
    const lines = (await readFile(join(dir, 'mixed.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const kinds = [...new Set(lines.filter((l) => l.kind && !l.repeat).map((l) => l.kind))].sort();
    expect([...new Set(results.map((r) => r.ruleId))].sort()).toEqual(kinds);
    expect(kinds).toEqual(expect.arrayContaining(['type', 'unknown-action']));
    for (const r of results) {
      const { artifactLocation, region } = r.locations[0].physicalLocation;
      const file = join(ROOT, artifactLocation.uri);
      expect(existsSync(file), artifactLocation.uri).toBe(true);
      expect(readFileSync(file, 'utf8').split('\n').length).toBeGreaterThanOrEqual(region.startLine);
    }
  });
});

/** A successful `kingdee_auth_token` call of the Kingdee flow as a HAR entry: signed, answered `errcode: 0`. */
function tokenEntry() {
  const text = JSON.stringify({ errcode: 0, description: '成功', data: { access_token: 'issued-token', expires: 1_900_000_000_000 } });
  return {
    startedDateTime: '2026-11-29T14:02:11.512+08:00',
    time: 20,
    request: {
      method: 'GET',
      url: 'https://api.kingdee.com/jdyconnector/app_management/kingdee_auth_token?app_key=tenant-app&app_signature=c2lnbmVk',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: harHeaders({
        'X-Api-ClientID': 'client-1',
        'X-Api-Signature': 'c2lnbmF0dXJl',
        'X-Api-Auth-Version': '2.0',
        'X-Api-TimeStamp': '1700000000000',
        'X-Api-Nonce': '8403917265',
        'X-Api-SignHeaders': 'X-Api-TimeStamp,X-Api-Nonce',
      }),
      queryString: [],
      headersSize: -1,
      bodySize: 0,
    },
    response: harJsonAnswer(text),
    cache: {},
    timings: { send: 0, wait: 20, receive: 0 },
  };
}

describe('check --har of the Kingdee flow', () => {
  it('a signed call answered errcode 0 (the gateway’s envelope, as the client accepts it) matches', async () => {
    const har = join(dir, 'kingdee.har');
    await writeFile(har, harText([tokenEntry()]));
    const result = await check({ har });
    expect(verdictOf(result, 'getKingdeeAuthToken')).toMatchObject({ verdict: 'matches', source: 'har' });
    expect(result.exitCode).toBe(0);
  });

  it('a signed call answered another errcode is refused with it', async () => {
    const entry = tokenEntry();
    const text = JSON.stringify({ errcode: 1030002001, description: 'app_signature 错误' });
    entry.response.content = { size: text.length, mimeType: 'application/json', text };
    const har = join(dir, 'kingdee-refused.har');
    await writeFile(har, harText([entry]));
    const result = await check({ har });
    expect(verdictOf(result, 'getKingdeeAuthToken')).toMatchObject({ verdict: 'refused', status: 200, errcode: 1030002001 });
  });
});

describe('secrets in a recording never reach an output', () => {
  it('in the report, JUnit, SARIF, capture or console: query, headers, cookies, form and base64 bodies', async () => {
    const work = await mkdtemp(join(dir, 'planted-'));
    const har = join(dir, 'planted.har');
    await writeFile(har, harText(plantedEntries()));
    const consoleLines = [];
    const result = await check({
      har,
      report: join(work, 'report.jsonl'),
      junit: join(work, 'check.xml'),
      sarif: join(work, 'check.sarif'),
      capture: join(work, 'records'),
      log: (line) => consoleLines.push(line),
    });
    expect(result.recording?.exchanges).toBeGreaterThan(0);
    const files = [
      ...(await filesUnder(work)),
      { file: 'console', text: consoleLines.join('\n') },
      { file: 'result', text: JSON.stringify(result) },
    ];
    expect(files.filter((f) => f.file.startsWith('records/')).length).toBeGreaterThan(0);
    expect(Object.fromEntries(findPlanted(files))).toEqual({});
  });
});
