// HAR files for the tests: entries built from the spec's own examples, written as the recording tools write them,
// and the checker run over a reading as `check --har` runs it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startMock } from '@qzz/mock';
import { listActions } from '@qzz/spec/actions';
import { startChecks } from '../src/checks.js';
import { checkHar } from '../src/har.js';

export const SPEC = fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
export const doc = JSON.parse(await readFile(SPEC, 'utf8'));
/** The business actions (not the gateway's own signed calls), each with its documented request and answer. */
export const business = listActions(doc).filter((a) => !a.signed);
export const CREDENTIALS = { groupName: 'grp', accountid: 'acct', 'X-GW-Router-Addr': 'https://tf.jdy.com' };

/** A HAR's header list from an object. */
export const harHeaders = (headers) => Object.entries(headers).map(([name, value]) => ({ name, value: String(value) }));

/** A HAR entry's answer: 200 with `text` as its JSON body, as the recording tools write it. */
export const harJsonAnswer = (/** @type {string} */ text) => ({
  status: 200,
  statusText: 'OK',
  httpVersion: 'HTTP/1.1',
  cookies: [],
  headers: harHeaders({ 'Content-Type': 'application/json;charset=utf-8' }),
  content: { size: text.length, mimeType: 'application/json', text },
  redirectURL: '',
  headersSize: -1,
  bodySize: -1,
});

/**
 * The documented exchange of an action as a HAR entry: its request example, its answer example (or the one given).
 * @param {any} action
 * @param {{ answer?: unknown, origin?: string, query?: string }} [options]
 */
export function actionEntry(action, { answer, origin = 'https://api.kingdee.com', query = 'access_token=t' } = {}) {
  const contentType = Object.keys(doc.paths[action.path][action.method].requestBody?.content ?? { 'application/json': {} })[0];
  const value = doc.components.examples[action.examples.request].value;
  const data = answer ?? (action.examples.response ? doc.components.examples[action.examples.response].value : { success: true });
  const text = JSON.stringify(data);
  return {
    startedDateTime: '2026-11-29T14:02:11.512+08:00',
    time: 12.5,
    request: {
      method: action.method.toUpperCase(),
      url: `${origin}${action.wirePath}?${query}`,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: harHeaders({ ...CREDENTIALS, 'Content-Type': contentType }),
      queryString: [],
      postData: { mimeType: contentType, text: typeof value === 'string' ? value : JSON.stringify(value), params: [] },
      headersSize: -1,
      bodySize: -1,
    },
    response: harJsonAnswer(text),
    cache: {},
    timings: { send: 0, wait: 10, receive: 2.5 },
  };
}

/** A HAR file's text around entries. */
export const harText = (entries) =>
  JSON.stringify({ log: { version: '1.2', creator: { name: 'qzz-test', version: '1' }, pages: [], entries } });

/**
 * Runs the checker over a reading as `check --har` does; resolves with the report lines and console lines.
 * @param {import('../src/har.js').HarReading} reading
 * @param {{ capture?: string }} [options]
 */
export async function checkReading(reading, { capture } = {}) {
  /** @type {any[]} */
  const lines = [];
  /** @type {string[]} */
  const logs = [];
  const checks = await startChecks({
    spec: SPEC,
    capture,
    log: (line) => logs.push(line),
    onSettled: (settled) => lines.push(...settled),
  });
  try {
    const { exchanges, unchecked } = await checkHar(reading, checks);
    return { lines, logs, exchanges, unchecked };
  } finally {
    await checks.close();
  }
}

/**
 * Every action's documented request sent to the mock (over HTTP), recorded as a HAR entry with the mock's answer.
 * @param {any[]} actions
 */
export async function recordFromMock(actions) {
  const mock = await startMock({ port: 0 });
  try {
    const entries = [];
    for (const action of actions) {
      const entry = actionEntry(action, { origin: mock.url });
      const response = await fetch(entry.request.url, {
        method: entry.request.method,
        headers: Object.fromEntries(entry.request.headers.map((h) => [h.name, h.value])),
        body: entry.request.postData.text,
      });
      const text = await response.text();
      entry.response.status = response.status;
      entry.response.headers = harHeaders(Object.fromEntries(response.headers));
      entry.response.content = { size: text.length, mimeType: response.headers.get('content-type') ?? '', text };
      entries.push(entry);
    }
    return entries;
  } finally {
    await mock.close();
  }
}
