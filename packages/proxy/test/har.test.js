// Reading HAR recordings (issue 17, item 2): the variants browsers, Charles, Fiddler, mitmproxy, Postman and
// Insomnia write; which entries are the gateway's; a stream read in any chunking; hostile files; and the
// recordings checked by the proxy's checker as `check --har` checks them.
import { PassThrough, Readable } from 'node:stream';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HarError, readHar } from '../src/har.js';
import { MAX_HAR_ENTRY_BYTES, MAX_VALIDATED_BYTES } from '../src/limits.js';
import { actionEntry, business, CREDENTIALS, checkReading, harHeaders, harText, recordFromMock } from './har-files.js';

const push = business.find((a) => a.name === 'pushOrderExecutionToSparePartsUse');
const ROUTE = push.wirePath;

/** A reading of text or bytes, in the chunks given (all at once by default). */
const reading = (text, chunks = [text]) => readHar(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))));

/** Every exchange of a reading, with its bodies as text. */
async function exchangesOf(har) {
  const out = [];
  for await (const exchange of har) {
    out.push({
      ...exchange,
      request: { ...exchange.request, bytes: exchange.request.bytes && Buffer.from(exchange.request.bytes).toString('utf8') },
      response: { ...exchange.response, bytes: exchange.response.bytes && Buffer.from(exchange.response.bytes).toString('utf8') },
    });
  }
  return out;
}

/**
 * An entry on the push's route with the request and answer members given.
 * @param {Record<string, any>} [members]
 */
function entry({ request = {}, response = {}, ...rest } = {}) {
  const base = actionEntry(push);
  return { ...base, ...rest, request: { ...base.request, ...request }, response: { ...base.response, ...response } };
}

const ANSWER = '{"success":true,"reachPlugin":true,"errorCode":"success","data":{"id":"0"}}';

describe('readHar: HAR as the tools write it', () => {
  it('reads postData.text, a form in postData.params, content.text plain and base64, compressed or not', async () => {
    const gz = gzipSync(ANSWER).toString('base64');
    const br = brotliCompressSync(ANSWER).toString('base64');
    const entries = [
      // Playwright and Chromium: JSON text with an empty params list beside it.
      entry({ request: { postData: { mimeType: 'application/json', text: '{"operation":"push"}', params: [] } } }),
      // A form: params only (Charles, Fiddler), no Content-Type header: the mimeType stands in.
      entry({
        request: {
          headers: harHeaders(CREDENTIALS),
          postData: {
            mimeType: 'application/x-www-form-urlencoded',
            params: [
              { name: 'a', value: '1' },
              { name: 'b', value: 'x y&z' },
            ],
          },
        },
      }),
      // The answer in base64, not compressed.
      entry({
        response: {
          content: { size: ANSWER.length, mimeType: 'application/json', text: Buffer.from(ANSWER).toString('base64'), encoding: 'base64' },
        },
      }),
      // Base64 of the gzip bytes as they came (mitmproxy, Fiddler's raw bodies).
      entry({
        response: {
          headers: harHeaders({ 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }),
          content: { size: ANSWER.length, compression: 40, mimeType: 'application/json', text: gz, encoding: 'base64' },
        },
      }),
      // A browser: Content-Encoding br, the text recorded decoded.
      entry({
        response: {
          headers: harHeaders({ 'Content-Type': 'application/json', 'Content-Encoding': 'br' }),
          content: { size: 70, mimeType: 'application/json', text: ANSWER },
        },
      }),
      // Brotli bytes in base64.
      entry({
        response: {
          headers: harHeaders({ 'Content-Type': 'application/json', 'Content-Encoding': 'br' }),
          content: { size: ANSWER.length, mimeType: 'application/json', text: br, encoding: 'base64' },
        },
      }),
    ];
    const exchanges = await exchangesOf(reading(harText(entries)));
    expect(exchanges.map((e) => e.request.bytes)).toEqual([
      '{"operation":"push"}',
      'a=1&b=x+y%26z',
      ...Array(4).fill(entries[2].request.postData.text),
    ]);
    expect(exchanges[1].headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(exchanges.slice(2).map((e) => e.response.bytes)).toEqual(Array(4).fill(ANSWER));
    // The bytes handed over are decoded: no Content-Encoding is left to undo.
    expect(exchanges.every((e) => e.responseHeaders['content-encoding'] === undefined)).toBe(true);
    expect(exchanges[0]).toMatchObject({
      time: '2026-11-29T06:02:11.512Z',
      method: 'POST',
      pathname: ROUTE,
      search: 'access_token=t',
      status: 200,
    });
  });

  it('reads odd but legal entries: no optional members, custom fields, repeated headers, cookies as lists only', async () => {
    const bare = { request: { method: 'POST', url: `http://127.0.0.1:4010${ROUTE}` }, response: { status: 204 } };
    const odd = entry({
      _resourceType: 'fetch',
      _initiator: { type: 'script', stack: { callFrames: [], parent: { callFrames: [{ functionName: 'f' }] } } },
      request: {
        headers: [
          { name: ':authority', value: 'api.kingdee.com' },
          { name: ':path', value: ROUTE },
          { name: 'Accept', value: 'application/json' },
          { name: 'accept', value: 'text/plain' },
          { name: 'groupName', value: 'grp' },
          { name: 'X-Count', value: 3 },
        ],
        cookies: [
          { name: 'SESSIONID', value: 'c1' },
          { name: 'prefs', value: 'c2' },
        ],
        _custom: { nested: [1, 2, 3] },
      },
      response: {
        headers: [
          { name: 'Content-Type', value: 'application/json' },
          { name: 'Vary', value: 'Origin' },
          { name: 'Vary', value: 'Accept' },
        ],
        cookies: [{ name: 'next', value: 'c3', httpOnly: true }],
        _transferSize: 120,
      },
    });
    const exchanges = await exchangesOf(reading(harText([bare, odd])));
    expect(exchanges[0]).toMatchObject({ method: 'POST', pathname: ROUTE, search: '', headers: {}, headerNames: [], status: 204 });
    expect(exchanges[0].request).toEqual({ bytes: '', size: 0, overflow: false });
    expect(Number.isNaN(Date.parse(exchanges[0].time))).toBe(false);
    // The Content-Type comes from postData.mimeType when the headers lack one.
    expect(exchanges[1].headers).toEqual({
      accept: 'application/json, text/plain',
      groupname: 'grp',
      'x-count': '3',
      cookie: 'SESSIONID=c1; prefs=c2',
      'content-type': 'application/json',
    });
    expect(exchanges[1].headerNames).toEqual(['Accept', 'accept', 'groupName', 'X-Count']);
    expect(exchanges[1].responseHeaders).toEqual({ 'content-type': 'application/json', vary: 'Origin, Accept', 'set-cookie': ['next=c3'] });
  });

  it("takes the gateway's entries and counts the others by why they were skipped", async () => {
    const unknownUnderPrefix = entry({ request: { url: 'https://api.kingdee.com/app/mxoc_0001_mxoc_pq/not_in_the_spec?access_token=t' } });
    const credentialsElsewhere = entry({ request: { url: 'https://tf.example.cn/elsewhere/route?access_token=t' } });
    const page = {
      request: { method: 'GET', url: 'https://tenant.example.cn/index.html' },
      response: { status: 200, content: { size: 5, mimeType: 'text/html', text: '<p>x' } },
    };
    const halfCredentials = entry({
      request: { url: 'https://tf.example.cn/elsewhere/route?access_token=t', headers: harHeaders({ groupName: 'g' }) },
    });
    const preflight = entry({
      request: { method: 'OPTIONS', headers: harHeaders({ 'Access-Control-Request-Method': 'POST' }), postData: undefined },
    });
    const failed = entry({ response: { status: 0, _error: 'net::ERR_BLOCKED_BY_CLIENT' } });
    const socket = { request: { method: 'GET', url: 'wss://api.kingdee.com/mxoc_pom/socket' }, response: { status: 101 } };
    const data = { request: { method: 'GET', url: 'data:image/png;base64,AAAA' }, response: { status: 200 } };
    const entries = [
      entry(),
      unknownUnderPrefix,
      credentialsElsewhere,
      page,
      halfCredentials,
      preflight,
      failed,
      socket,
      data,
      'not an entry',
      { request: { method: 'GET' }, response: { status: 200 } },
      { request: { method: 'GET', url: 'no-scheme' }, response: { status: 200 } },
      { request: { method: 'G E T', url: 'https://api.kingdee.com/x' }, response: { status: 200 } },
      { request: { method: 'GET', url: `https://api.kingdee.com${ROUTE}` }, response: { status: '200' } },
      { request: { method: 'GET', url: `https://api.kingdee.com${ROUTE}`, headers: {} }, response: { status: 200 } },
    ];
    const har = reading(harText(entries));
    const exchanges = await exchangesOf(har);
    expect(exchanges.map((e) => e.pathname)).toEqual([ROUTE, '/app/mxoc_0001_mxoc_pq/not_in_the_spec', '/elsewhere/route']);
    expect(har.entries).toBe(entries.length);
    expect(har.skipped.count).toBe(entries.length - 3);
    expect(har.skipped.byReason).toEqual({ 'not-gateway': 2, preflight: 1, 'no-answer': 1, 'not-http': 2, malformed: 6 });
    expect(har.skipped.listed.map((s) => [s.entry, s.reason])).toEqual([
      [3, 'not-gateway'],
      [4, 'not-gateway'],
      [5, 'preflight'],
      [6, 'no-answer'],
      [7, 'not-http'],
      [8, 'not-http'],
      [9, 'malformed'],
      [10, 'malformed'],
      [11, 'malformed'],
      [12, 'malformed'],
      [13, 'malformed'],
      [14, 'malformed'],
    ]);
    // What is said of a malformed entry names its members, never its values.
    expect(har.skipped.listed.filter((s) => s.reason === 'malformed').map((s) => s.detail)).toEqual([
      'the entry is not an object',
      'request.url is not a string',
      'request.url is not an absolute URL',
      'request.method is not a method',
      'response.status is not a whole number',
      'request.headers or response.headers is not a list',
    ]);
  });

  it('reads the same entries however the file is cut into chunks (strings with quotes, backslashes, brackets, CJK)', async () => {
    const tricky = 'a "quoted" \\ back\\slash } ] { [ , : 工单执行 😀 \u0000 end\\';
    const entries = [
      entry({ request: { postData: { mimeType: 'application/json', text: JSON.stringify({ operation: 'push', remark: tricky }) } } }),
      { request: { method: 'GET', url: 'https://elsewhere.example/x' }, response: { status: 200 } },
      entry({
        response: { content: { size: 1, mimeType: 'application/json', text: JSON.stringify({ success: true, data: { note: tricky } }) } },
      }),
    ];
    // Pretty-printed, as most tools write it (whitespace between every token), after a byte order mark.
    const text = `\ufeff ${JSON.stringify(JSON.parse(harText(entries)), null, '\t')}\n`;
    const bytes = Buffer.from(text);
    const whole = await exchangesOf(reading(text));
    expect(whole).toHaveLength(2);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), async (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const chunks = points.slice(1).map((end, i) => bytes.subarray(points[i], end));
        expect(await exchangesOf(reading('', chunks))).toEqual(whole.map((e) => ({ ...e, time: e.time })));
      }),
      { numRuns: 150 },
    );
    // One byte at a time, too.
    expect(
      await exchangesOf(
        reading(
          '',
          [...bytes].map((b) => Buffer.from([b])),
        ),
      ),
    ).toEqual(whole);
  });

  it('yields an entry as soon as its bytes are in, before the rest of the file', async () => {
    const stream = new PassThrough();
    const text = harText([entry(), entry()]);
    const second = text.indexOf(',{"startedDateTime"');
    stream.write(text.slice(0, second));
    const iterator = readHar(stream)[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(first.value.pathname).toBe(ROUTE);
    stream.end(text.slice(second));
    expect((await iterator.next()).done).toBe(false);
    expect((await iterator.next()).done).toBe(true);
  });
});

describe('readHar: hostile and broken files', () => {
  /** The entries read and the error a file ends with. */
  async function readAll(text) {
    const paths = [];
    try {
      for await (const exchange of reading(text)) paths.push(exchange.pathname);
    } catch (error) {
      return { paths, error };
    }
    return { paths, error: undefined };
  }
  const one = JSON.stringify(entry());

  it.each([
    ['an empty file', '', /it is empty/],
    ['text that is not JSON', 'hello', /not a JSON object/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['no log', '{"other":1}', /no log.entries/],
    ['log that is a number', '{"log":5}', /log is not an object/],
    ['entries that are an object', '{"log":{"entries":{}}}', /log.entries is not an array/],
    ['entries twice', '{"log":{"entries":[],"entries":[]}}', /there twice/],
    ['a bracket that does not match', `{"log":{"entries":[${one},{"a":[1}]}}`, /does not match its opening bracket at byte/],
    ['a member without a colon', '{"log" {"entries":[]}}', /expected ":"/],
    ['a trailing comma', `{"log":{"entries":[${one},]}}`, /expected a value/],
    [
      'a file cut off in an entry',
      `{"log":{"entries":[${one},${one.slice(0, 100)}`,
      /cut off at byte \d+ \(inside log.entries, after 1 entries\)/,
    ],
    ['a file cut off after an entry', `{"log":{"entries":[${one}`, /cut off/],
    ['more after the end', `{"log":{"entries":[${one}]}} {}`, /more after the HAR's end/],
    ['a frame member that is not JSON', '{"log":{"creator":{"name":x},"entries":[]}}', /not JSON/],
  ])('%s: a HarError saying where, after the entries before it', async (_name, text, message) => {
    const { paths, error } = await readAll(text);
    expect(error).toBeInstanceOf(HarError);
    expect(error.message).toMatch(message);
    // No error quotes the file.
    expect(error.message).not.toMatch(/hello|x\}|mxoc/);
    if (/after 1 entries|bracket/.test(String(message))) expect(paths).toEqual([ROUTE]);
  });

  it('skips an entry over the ceiling, one nested too deep, one not UTF-8 and one not JSON, and reads on', async () => {
    const huge = `{"request":{"method":"POST","url":"x","comment":"${'\\\\'.repeat(MAX_HAR_ENTRY_BYTES / 2 + 10)}"},"response":{}}`;
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const notUtf8 = Buffer.concat([Buffer.from('{"request":{"url":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"},"response":{}}')]);
    const notJson = '{"request" 1}';
    const chunks = [
      Buffer.from('{"log":{"entries":['),
      Buffer.from(huge),
      Buffer.from(`,${one},${deep},`),
      notUtf8,
      Buffer.from(`,${notJson},${one}]}}`),
    ];
    const har = reading('', chunks);
    const exchanges = await exchangesOf(har);
    expect(exchanges.map((e) => e.pathname)).toEqual([ROUTE, ROUTE]);
    expect(har.skipped.listed).toEqual([
      { entry: 0, reason: 'too-large', detail: `${Buffer.byteLength(huge)} bytes` },
      { entry: 2, reason: 'too-deep', detail: '10000 bytes' },
      { entry: 3, reason: 'malformed', detail: 'the entry is not UTF-8' },
      { entry: 4, reason: 'malformed', detail: 'the entry is not JSON' },
    ]);
  });

  it('reads a body marked base64 that is not, a decompression bomb and a body over the limit as bodies it cannot check', async () => {
    const bomb = gzipSync(Buffer.alloc(MAX_VALIDATED_BYTES * 4, 0x20)).toString('base64');
    const exchanges = await exchangesOf(
      reading(
        harText([
          entry({ response: { content: { size: 10, mimeType: 'application/json', text: 'not base64!', encoding: 'base64' } } }),
          entry({
            response: {
              headers: harHeaders({ 'Content-Encoding': 'gzip' }),
              content: { size: 1, mimeType: 'application/json', text: bomb, encoding: 'base64' },
            },
          }),
          entry({ response: { content: { size: 1, mimeType: 'application/json', text: 'x'.repeat(MAX_VALIDATED_BYTES + 1) } } }),
          entry({ response: { content: { size: 100, mimeType: 'application/json' } } }),
          entry({ response: { content: { size: 1, mimeType: 'application/json', text: 'x', encoding: 'quoted-printable' } } }),
        ]),
      ),
    );
    expect(exchanges.map((e) => e.response)).toEqual([
      { bytes: null, size: 0, overflow: false, why: "the recording's content.text is marked base64 but is not" },
      { bytes: null, size: expect.any(Number), overflow: false, why: `a gzip body that decodes to more than ${MAX_VALIDATED_BYTES} bytes` },
      { bytes: null, size: MAX_VALIDATED_BYTES + 1, overflow: true },
      { bytes: null, size: 100, overflow: false, why: 'the recording holds no body (content.text is absent)' },
      { bytes: null, size: 0, overflow: false, why: "the recording's content.encoding is not base64, the only one HAR names" },
    ]);
  });
});

describe('a recording checked as check --har checks it', () => {
  it("reports nothing for every business action's documented exchange answered by the mock, plain, base64 or gzip", async () => {
    const entries = (await recordFromMock(business)).flatMap((plain) => {
      const text = plain.response.content.text;
      const base64 = {
        ...plain,
        response: {
          ...plain.response,
          content: { ...plain.response.content, text: Buffer.from(text).toString('base64'), encoding: 'base64' },
        },
      };
      const gzip = {
        ...plain,
        response: {
          ...plain.response,
          headers: harHeaders({ 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }),
          content: { ...plain.response.content, text: gzipSync(text).toString('base64'), encoding: 'base64' },
        },
      };
      return [plain, base64, gzip];
    });
    const page = { request: { method: 'GET', url: 'https://tenant.example.cn/' }, response: { status: 200 } };
    const har = reading(harText([page, ...entries]));
    const { lines, exchanges, unchecked } = await checkReading(har);
    expect(exchanges).toBe(business.length * 3);
    expect(unchecked).toBe(0);
    expect(lines).toEqual([]);
    expect(har.skipped.byReason).toEqual({ 'not-gateway': 1 });
  });

  it('reports drift, an unknown route and an answer the recording left out, as the proxy reports them', async () => {
    const example = JSON.parse(actionEntry(push).response.content.text);
    const entries = [
      actionEntry(push, { answer: { ...example, success: 'true' } }),
      entry({ request: { url: 'https://api.kingdee.com/app/mxoc_0001_mxoc_pq/not_in_the_spec?access_token=t' } }),
      entry({ response: { content: { size: 100, mimeType: 'application/json' } } }),
    ];
    const { lines } = await checkReading(reading(harText(entries)));
    expect(lines.map((l) => [l.action, l.direction, l.pointer, l.kind])).toEqual([
      [push.name, 'response', '/success', 'type'],
      [null, 'request', '', 'unknown-route'],
      [null, 'response', '', 'not-validated'],
    ]);
    expect(lines[0].time).toBe('2026-11-29T06:02:11.512Z');
    expect(lines[2].seen).toMatch(/the recording holds no body/);
  });

  it('waits for the checker instead of having exchanges refused: 500 exchanges, all checked', async () => {
    const example = JSON.parse(actionEntry(push).response.content.text);
    const entries = Array.from({ length: 500 }, () => actionEntry(push, { answer: { ...example, success: 'true' } }));
    const { lines, exchanges, unchecked } = await checkReading(reading(harText(entries)));
    expect([exchanges, unchecked]).toEqual([500, 0]);
    // One line per exchange (the report folds them later): none was refused as `not-validated` for a busy checker.
    expect(lines).toHaveLength(500);
    expect(lines.every((l) => l.kind === 'type')).toBe(true);
  });
});
