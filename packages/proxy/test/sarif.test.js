// The report as SARIF 2.1.0 (issue 17, item 3): drift in every field of every business action's documented
// request and answer, and every whole-body kind, checked from a HAR as `check --har` checks it, reported as the
// report folds it (repeats included), written as SARIF; the log is valid against the official SARIF 2.1.0 schema
// and every location is an existing spec source file and a line that names the field.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { selectPaths } from '@qzz/spec/actions';
import AjvDraft04 from 'ajv-draft-04';
import formats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { readHar } from '../src/har.js';
import { openReport } from '../src/report.js';
import { toSarif } from '../src/sarif.js';
import { actionEntry, business, checkReading, harText, recordFromMock } from './har-files.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.resolve('@qzz/spec/coverage.yaml'))));
// CommonJS modules: their default export is the module object under Node's ESM, the class and function within.
const Ajv = /** @type {any} */ (AjvDraft04).default ?? AjvDraft04;
const addFormats = /** @type {any} */ (formats).default ?? formats;
const SCHEMA = JSON.parse(readFileSync(new URL('./fixtures/sarif-2.1.0-rtm.5.schema.json', import.meta.url), 'utf8'));
const TOKEN = 'sarif-token-Zq81Xw';

/** `value` with every string leaf turned into a number, except at the paths given (the action's selector). */
function everyLeafAsNumber(value, keep, path = []) {
  if (typeof value === 'string') return keep.some((k) => k.join('/') === path.join('/')) ? value : 12345;
  if (Array.isArray(value)) return value.map((item, i) => everyLeafAsNumber(item, keep, [...path, String(i)]));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, everyLeafAsNumber(v, keep, [...path, k])]));
  return value;
}

/** Every business action's exchange with every string field of its request and answer `data` of the wrong type, and one undocumented field each. */
async function driftedEntries() {
  const recorded = await recordFromMock(business);
  return recorded.map((entry, i) => {
    const action = business[i];
    const postData = entry.request.postData;
    const request = JSON.parse(postData.text);
    const drifted = { ...everyLeafAsNumber(request, selectPaths(action.select)), zz_request_extra: '1' };
    const answer = JSON.parse(entry.response.content.text);
    const data =
      answer.data && typeof answer.data === 'object' ? { ...everyLeafAsNumber(answer.data, []), zz_answer_extra: '1' } : answer.data;
    const text = JSON.stringify({ ...answer, success: 'true', data });
    return {
      ...entry,
      request: {
        ...entry.request,
        url: entry.request.url.replace('access_token=t', `access_token=${TOKEN}`),
        postData: { ...postData, text: JSON.stringify(drifted) },
      },
      response: { ...entry.response, content: { ...entry.response.content, text } },
    };
  });
}

/** The whole-body kinds: a status the spec lacks, a body that is not JSON, none, an unknown route and action. */
function wholeBodyEntries() {
  const push = business.find((a) => a.name === 'pushOrderExecutionToSparePartsUse');
  const base = actionEntry(push);
  return [
    { ...base, response: { ...base.response, status: 418 } },
    { ...base, request: { ...base.request, postData: { mimeType: 'application/json', text: 'not json' } } },
    { ...base, request: { ...base.request, postData: undefined } },
    { ...base, response: { ...base.response, content: { size: 8, mimeType: 'text/html', text: '<p>hi</p>' } } },
    { ...base, request: { ...base.request, url: 'https://api.kingdee.com/app/mxoc_0001_mxoc_pq/not_in_the_spec?access_token=t' } },
    { ...base, request: { ...base.request, postData: { mimeType: 'application/json', text: '{"operation":"unheard-of"}' } } },
  ];
}

describe('the report as SARIF 2.1.0', () => {
  let lines;
  let sarif;
  beforeAll(async () => {
    const entries = [...(await driftedEntries()), ...wholeBodyEntries()];
    /** @type {any[]} */
    const reported = [];
    const report = await openReport({ onReport: (line) => reported.push(line), log: () => {} });
    // Twice: the second time only counted, then written as `repeat` lines.
    for (let round = 0; round < 2; round++) {
      const checked = await checkReading(readHar(Readable.from([Buffer.from(harText(entries))])));
      report.add(checked.lines);
    }
    await report.close();
    lines = reported;
    sarif = toSarif(lines);
  });

  it('is valid against the official SARIF 2.1.0 schema', () => {
    // The schema's language pattern is not a valid regular expression in unicode mode: read it as published.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const validate = ajv.compile(SCHEMA);
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
  });

  it('has one result per discrepancy, its repeats summed, and every kind of the report', () => {
    const results = sarif.runs[0].results;
    const firsts = lines.filter((l) => !l.repeat && l.kind !== 'not-validated' && l.kind !== 'more-discrepancies');
    expect(results).toHaveLength(firsts.length);
    expect(lines.some((l) => l.repeat)).toBe(true);
    expect(results.every((r) => r.properties.exchanges === 2)).toBe(true);
    expect(new Set(results.map((r) => r.ruleId))).toEqual(
      new Set(['type', 'undocumented-field', 'undocumented-status', 'not-json', 'missing-body', 'unknown-route', 'unknown-action']),
    );
    // Each business action drifted in its request and its answer.
    for (const action of business) {
      expect(results.some((r) => r.properties.action === action.name && r.properties.direction === 'request')).toBe(true);
      expect(results.some((r) => r.properties.action === action.name && r.properties.direction === 'response')).toBe(true);
    }
  });

  it('locates every result at an existing spec source file and a line that names its field', () => {
    const results = sarif.runs[0].results;
    expect(results.length).toBeGreaterThan(100);
    for (const result of results) {
      const { artifactLocation, region } = result.locations[0].physicalLocation;
      const file = join(ROOT, artifactLocation.uri);
      expect(artifactLocation.uri).toMatch(/^spec\/(openapi\.yaml|paths\/|components\/)/);
      expect(existsSync(file), artifactLocation.uri).toBe(true);
      const text = readFileSync(file, 'utf8').split('\n')[region.startLine - 1];
      const field = result.properties.pattern
        .split('/')
        .filter((s) => s !== '*' && s !== '')
        .pop();
      const where = `${result.ruleId} ${result.properties.pattern} at ${artifactLocation.uri}:${region.startLine}: ${text}`;
      if (result.ruleId === 'type') expect(text, where).toMatch(new RegExp(`^\\s*['"]?${field}['"]?:`));
      else if (result.ruleId === 'undocumented-field') expect(text, where).toMatch(/^\s*properties:/);
      else {
        const expected = {
          'undocumented-status': 'responses:',
          'not-json': result.properties.direction === 'request' ? 'requestBody:' : "'200':",
          'missing-body': 'requestBody:',
          'unknown-route': 'paths:',
          'unknown-action': 'x-qzz-actions:',
        }[result.ruleId];
        expect(text.trim(), where).toBe(expected);
      }
    }
    // The fields are found in the schemas' own files, not only in the operation's.
    expect(
      results.filter((r) => r.locations[0].physicalLocation.artifactLocation.uri.startsWith('spec/components/')).length,
    ).toBeGreaterThan(50);
  });

  it('carries no value: not the token of the query, not a drifted value', () => {
    const text = JSON.stringify(sarif);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('12345');
  });
});
