// The in-process mock against the HTTP mock: the fuzz corpus (2,000 seeded requests, test/fuzz-corpus.js), then
// every action's documented request (and its broken, refused and Prefer'd variants), each sent as the same fetch
// call to both, one request at a time so a sandbox's state moves in step. Every answer must have the same status,
// the same body and the same headers, less those that only frame an answer on a socket.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deref, listActions } from '@qzz/spec/actions';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMockFetch, startMock } from '../src/index.js';
import { fuzzCorpus } from './fuzz-corpus.js';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const CREDENTIALS = { groupName: 'diff', accountid: '7', 'X-GW-Router-Addr': 'https://tf.jdy.com' };

/** Request headers that frame a body, which fetch sets itself. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'expect']);
/** Answer headers a socket needs and an in-process Response does not have. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

/**
 * A corpus request as a fetch call: its target read as fetch reads a URL (under a placeholder origin, so `*` or
 * `http://x/y` are paths there too), its header lines split at the first colon, its body's bytes (none for GET and
 * HEAD, which fetch cannot send one with). A fetch frames the body itself: the corpus's Content-Length,
 * Transfer-Encoding and Expect lines are left out (undici refuses some, and waits forever on `Content-Length: -1`).
 * Undefined when it cannot be said as a fetch call at all (a target that is no URL, a header line without a colon);
 * test/hardening.test.js sends those raw.
 * @param {{ method: string, target: string, headers: string[], body: string }} sample
 * @returns {{ path: string, init: RequestInit } | undefined}
 */
function asFetchCall({ method, target, headers, body }) {
  const lines = headers.flatMap((h) => h.split('\r\n'));
  if (lines.some((line) => !line.includes(':'))) return undefined;
  /** @type {[string, string][]} */
  const pairs = lines
    .map((line) => /** @type {[string, string]} */ ([line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]))
    .filter(([name]) => !FRAMING.has(name.trim().toLowerCase()));
  /** @type {RequestInit} */
  const init = { method, headers: pairs, body: method === 'GET' || method === 'HEAD' ? undefined : Buffer.from(body, 'latin1') };
  try {
    const url = new URL(target, 'http://corpus.invalid');
    return { path: `${url.pathname}${url.search}`, init };
  } catch {
    return undefined;
  }
}

/** Status, body, and the headers that are the mock's (not the socket's), or the error a call threw. */
async function outcome(call) {
  try {
    const res = await call();
    const headers = [...res.headers].filter(([name]) => !TRANSPORT_HEADERS.has(name));
    return { status: res.status, body: await res.text(), headers: Object.fromEntries(headers) };
  } catch (error) {
    return { threw: `${error.name}: ${error.message} ${error.cause?.code ?? ''}` };
  }
}

const calls = fuzzCorpus().map(asFetchCall);
const sent = calls.filter((call) => call !== undefined);

describe.each([
  ['stateless', false],
  ['sandbox', true],
])('the %s mock in-process and over HTTP', (_mode, sandbox) => {
  let http;
  let inProcess;
  /** @type {{ http: string[], inProcess: string[] }} */
  const logs = { http: [], inProcess: [] };
  beforeAll(async () => {
    // CORS is the HTTP server's, for pages calling across origins: in-process there is no origin to cross.
    http = await startMock({ port: 0, sandbox, cors: false, log: (line) => logs.http.push(line) });
    inProcess = await createMockFetch({ sandbox, log: (line) => logs.inProcess.push(line) });
  });
  afterAll(async () => {
    await http?.close();
    await inProcess?.close();
  });

  /**
   * Sends each call to both mocks in turn; the differences found, and the statuses the HTTP mock answered.
   * @param {{ path: string, init: RequestInit }[]} calls
   */
  async function compare(calls) {
    const differences = [];
    const statuses = new Set();
    let refusedByFetch = 0;
    for (const { path, init } of calls) {
      // The timeout only turns a hang into a difference the test reports (either side hanging fails it).
      const overHttp = await outcome(() => fetch(`${http.url}${path}`, { ...init, signal: AbortSignal.timeout(20_000) }));
      const local = await outcome(() => inProcess(`https://any-origin.example${path}`, { ...init, signal: AbortSignal.timeout(20_000) }));
      if (JSON.stringify(overHttp) !== JSON.stringify(local)) differences.push({ path, init, overHttp, local });
      if (overHttp.threw) refusedByFetch++;
      else statuses.add(overHttp.status);
    }
    return { differences, statuses: [...statuses].sort(), answered: calls.length - refusedByFetch };
  }

  it('answer every request of the fuzz corpus with the same status, body and headers', async () => {
    // What fetch cannot be given at all: mostly targets starting `//`, which a URL reads as a host.
    expect(sent.length).toBeGreaterThan(1_800);
    const { differences, statuses, answered } = await compare(sent);
    expect(differences.slice(0, 3)).toEqual([]);
    // Fetch itself refuses header names that are not tokens (on both sides alike, before anything is sent): the
    // rest, about half the corpus, is answered by the mock, with refusals of every kind and the mock's own 401.
    expect(answered).toBeGreaterThan(900);
    expect(statuses).toEqual(expect.arrayContaining([400, 401, 404, 405, 415]));
    expect(logs.inProcess).toEqual(logs.http);
  }, 300_000);

  describe("every action's documented request, and its variants", () => {
    // A sandbox's new ids count up from the clock: frozen, both mocks give the same ones.
    beforeAll(() => {
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-01T08:00:00Z') });
    });
    afterEach(() => {
      logs.http.length = 0;
      logs.inProcess.length = 0;
    });
    afterAll(() => {
      vi.useRealTimers();
    });

    it('are answered alike: accepted, refused by the schema, without credentials, with Prefer', async () => {
      const calls = listActions(doc)
        .filter((a) => a.method === 'post' && !a.signed)
        .flatMap((action) => {
          const [type, media] = Object.entries(doc.paths[action.path].post.requestBody.content)[0];
          const example = deref(doc, media.examples[action.examples.request]).value;
          const body = typeof example === 'string' ? example : JSON.stringify(example);
          const call = (/** @type {Record<string, string>} */ headers, text = body, token = '?access_token=t') => ({
            path: `${action.wirePath}${token}`,
            init: { method: 'POST', headers: { 'content-type': type, ...CREDENTIALS, ...headers }, body: text },
          });
          return [
            call({}),
            call({}, JSON.stringify({ billdata: 5, operation: ['x'] })),
            call({}, body, ''),
            call({ prefer: 'example=businessFailure' }),
            call({ prefer: 'code=429' }),
          ];
        });
      const control = [
        { path: '/__sandbox/bills?access_token=t', init: { headers: CREDENTIALS } },
        { path: '/__sandbox/reset?access_token=t', init: { method: 'POST', headers: CREDENTIALS } },
      ];
      const { differences, statuses } = await compare(sandbox ? [...calls, ...control] : calls);
      expect(differences.slice(0, 3)).toEqual([]);
      expect(statuses).toEqual(expect.arrayContaining([200, 401, 422, 429]));
      expect(logs.inProcess).toEqual(logs.http);
    }, 300_000);
  });
});
