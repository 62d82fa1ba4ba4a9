// Reading a HAR 1.2 recording (`check --har`): its entries as the checker's finished exchanges, read as a stream
// in bounded memory (see har-scan.js), the entries not on the gateway's routes counted and skipped. Everything in
// a HAR is untrusted and full of secrets (cookies, credentials, query tokens, whole bodies): an exchange carries
// them to the checker exactly as the proxy would, whose masking keeps them out of every report line, console line
// and capture; what is said here about a skipped entry names no value of it.
import { createReadStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isObject, listOperations } from '@qzz/spec/actions';
import { decodeBody } from './decode.js';
import { HarError, scanHar } from './har-scan.js';
import { MAX_HAR_ENTRY_BYTES, MAX_HAR_ENTRY_DEPTH, MAX_VALIDATED_BYTES } from './limits.js';

export { HarError };

/**
 * Why an entry was skipped, by the reason's code.
 * @type {Record<SkipReason, string>}
 */
export const SKIP_REASONS = {
  'not-gateway': "not on the gateway's routes",
  'not-http': 'not an HTTP exchange (another scheme, such as ws: or data:, or a protocol switch)',
  preflight: "a browser's CORS preflight (OPTIONS with Access-Control-Request-Method), not a call of the API",
  'no-answer': 'no answer was recorded (status 0: the request failed, was blocked or aborted)',
  malformed: 'not a HAR entry',
  'too-large': `over ${MAX_HAR_ENTRY_BYTES} bytes in the file`,
  'too-deep': `nested deeper than ${MAX_HAR_ENTRY_DEPTH} levels`,
};

/** How many skipped entries are listed one by one (the rest only counted). */
export const MAX_LISTED_SKIPS = 100;

/**
 * @typedef {'not-gateway' | 'not-http' | 'preflight' | 'no-answer' | 'malformed' | 'too-large' | 'too-deep'} SkipReason
 * @typedef {{ entry: number, reason: SkipReason, detail?: string }} SkippedEntry
 *   An entry by its index in `log.entries` (from 0); `detail` says what is wrong with a malformed one, naming
 *   members, never values.
 * @typedef {{ count: number, byReason: Partial<Record<SkipReason, number>>, listed: SkippedEntry[] }} Skipped
 * @typedef {{ paths: Set<string>, prefixes: string[], credentials: { in: 'query' | 'header', name: string }[][] }} Gateway
 *   What tells the gateway's traffic: see `gatewayOf`.
 * @typedef {import('./settle.js').FinishedExchange} FinishedExchange
 * @typedef {import('./settle.js').KeptBody} KeptBody
 * @typedef {AsyncIterable<FinishedExchange> & { readonly entries: number, readonly skipped: Skipped }} HarReading
 */

const DEFAULT_SPEC = fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));

/**
 * What makes an exchange the gateway's, from the spec's bundle:
 * - its path is a route of the spec (any method: a wrong method on a known path is the gateway's, reported as an
 *   unknown route), the gateway's own auth paths (`push_app_authorize`, `kingdee_auth_token`) included;
 * - or its path lies under a route prefix of the spec: the folder of a route (`/mxoc_pom/`,
 *   `/app/mxoc_0001_mxoc_pq/`, `/jdyconnector/app_management/`), where the vendor's apps serve their routes —
 *   so a route the spec lacks is still checked, and captured;
 * - or its request carries every credential of one of the spec's security requirements (the business calls'
 *   `access_token` query parameter with the `groupName`, `accountid` and `X-GW-Router-Addr` headers; the signed
 *   calls' `X-Api-ClientID` and `X-Api-Signature`): a call the gateway authenticates, on whatever path.
 * Anything else — a page, its scripts, another API — is skipped as `not-gateway`. Hosts are not compared: a
 * recording may be of the gateway, of the proxy or of the mock, on any origin.
 * @param {any} doc the bundle
 * @returns {Gateway}
 */
export function gatewayOf(doc) {
  const operations = listOperations(doc);
  const paths = new Set(operations.map((o) => o.wirePath));
  const prefixes = [...new Set(operations.map((o) => o.wirePath.slice(0, o.wirePath.lastIndexOf('/') + 1)))].filter((p) => p !== '/');
  const schemes = doc.components?.securitySchemes ?? {};
  const credentials = [...(doc.security ?? []), ...operations.flatMap((o) => o.operation.security ?? [])]
    .map((requirement) => Object.keys(requirement).map((name) => schemes[name]))
    .filter((list) => list.length > 0 && list.every((s) => s?.type === 'apiKey' && (s.in === 'query' || s.in === 'header')))
    .map((list) => list.map((s) => ({ in: s.in, name: s.in === 'header' ? s.name.toLowerCase() : s.name })));
  return { paths, prefixes, credentials };
}

/**
 * @param {Gateway} gateway
 * @param {string} pathname
 * @param {URLSearchParams} query
 * @param {Record<string, string>} headers lower-case names
 */
function isGateways(gateway, pathname, query, headers) {
  if (gateway.paths.has(pathname) || gateway.prefixes.some((prefix) => pathname.startsWith(prefix))) return true;
  return gateway.credentials.some((requirement) =>
    requirement.every((c) => (c.in === 'query' ? query.has(c.name) : Object.hasOwn(headers, c.name))),
  );
}

/**
 * Reads a HAR 1.2 recording, as a stream: iterate it (once) for the entries on the gateway's routes as finished
 * exchanges, in the file's order. `entries` counts the entries read so far, `skipped` the others and why (the
 * first MAX_LISTED_SKIPS listed). A file that is not a HAR, or whose structure breaks (brackets that do not
 * match, cut off), ends the iteration with a HarError after the entries before the break; a file that cannot be
 * read, with the file system's error.
 * @param {string | AsyncIterable<Buffer | Uint8Array | string>} input a file's path, or its bytes (a Readable)
 * @param {{ spec?: string }} [options] `spec`: the bundle to tell the gateway's routes by (by default `@qzz/spec`'s)
 * @returns {HarReading}
 */
export function readHar(input, { spec = DEFAULT_SPEC } = {}) {
  const gateway = gatewayOf(JSON.parse(readFileSync(spec, 'utf8')));
  /** @type {Skipped} */
  const skipped = { count: 0, byReason: {}, listed: [] };
  let entries = 0;
  let started = false;

  async function* exchanges() {
    // 256 KiB reads: as fast as bigger ones, and fewer bytes held outside the heap between collections.
    const chunks = typeof input === 'string' ? createReadStream(input, { highWaterMark: 256 * 1024 }) : input;
    const readTime = new Date().toISOString();
    for await (const scanned of scanHar(chunks)) {
      entries++;
      const read =
        'bytes' in scanned ? readEntry(scanned.bytes, gateway, readTime) : { skip: scanned.skip, detail: `${scanned.size} bytes` };
      if ('exchange' in read) {
        yield read.exchange;
        continue;
      }
      skipped.count++;
      skipped.byReason[read.skip] = (skipped.byReason[read.skip] ?? 0) + 1;
      if (skipped.listed.length < MAX_LISTED_SKIPS)
        skipped.listed.push({ entry: scanned.index, reason: read.skip, ...(read.detail ? { detail: read.detail } : {}) });
    }
  }

  return {
    [Symbol.asyncIterator]() {
      if (started) throw new Error('a HAR reading is iterated once');
      started = true;
      return exchanges();
    },
    get entries() {
      return entries;
    },
    skipped,
  };
}

// ── One entry ───────────────────────────────────────────────────────────────────────────────────────────────

/** @typedef {{ exchange: FinishedExchange } | { skip: SkipReason, detail?: string }} ReadEntry */

const utf8 = new TextDecoder('utf-8', { fatal: true });
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// scheme://authority, then the path and the query as the request carried them (a fragment is never sent).
const HTTP_URL = /^https?:\/\/[^/?#]*([^?#]*)(?:\?([^#]*))?/i;

/**
 * One entry's bytes as a finished exchange, or why it is skipped.
 * @param {Buffer} bytes
 * @param {Gateway} gateway
 * @param {string} readTime the time of an entry that has no valid `startedDateTime`
 * @returns {ReadEntry}
 */
function readEntry(bytes, gateway, readTime) {
  let text;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { skip: 'malformed', detail: 'the entry is not UTF-8' };
  }
  let entry;
  try {
    entry = JSON.parse(text);
  } catch {
    // JSON.parse's message would quote the entry.
    return { skip: 'malformed', detail: 'the entry is not JSON' };
  }
  return entryAsExchange(entry, gateway, readTime);
}

/**
 * @param {unknown} entry
 * @param {Gateway} gateway
 * @param {string} readTime
 * @returns {ReadEntry}
 */
function entryAsExchange(entry, gateway, readTime) {
  if (!isObject(entry)) return { skip: 'malformed', detail: 'the entry is not an object' };
  const { request, response } = entry;
  if (!isObject(request) || !isObject(response)) return { skip: 'malformed', detail: 'request or response is not an object' };
  if (typeof request.url !== 'string') return { skip: 'malformed', detail: 'request.url is not a string' };
  const scheme = SCHEME.exec(request.url)?.[1]?.toLowerCase();
  if (!scheme) return { skip: 'malformed', detail: 'request.url is not an absolute URL' };
  if (scheme !== 'http' && scheme !== 'https') return { skip: 'not-http' };
  if (typeof request.method !== 'string' || !METHOD.test(request.method))
    return { skip: 'malformed', detail: 'request.method is not a method' };
  const status = response.status;
  if (!Number.isInteger(status)) return { skip: 'malformed', detail: 'response.status is not a whole number' };
  if (status === 0) return { skip: 'no-answer' };
  if (status === 101) return { skip: 'not-http' };
  if (status < 100 || status > 599) return { skip: 'malformed', detail: 'response.status is outside 100–599' };
  const requestHeaders = harHeaders(request.headers);
  const responseHeaders = harHeaders(response.headers);
  if (!requestHeaders || !responseHeaders) return { skip: 'malformed', detail: 'request.headers or response.headers is not a list' };

  const [, pathname = '', search = ''] = /** @type {RegExpExecArray} */ (HTTP_URL.exec(request.url));
  const headers = joinHeaders(requestHeaders, cookieHeader(request.cookies));
  if (request.method === 'OPTIONS' && Object.hasOwn(headers, 'access-control-request-method')) return { skip: 'preflight' };
  if (!isGateways(gateway, pathname || '/', new URLSearchParams(search), headers)) return { skip: 'not-gateway' };

  const answerHeaders = responseHeaderRecord(responseHeaders, setCookieHeaders(response.cookies));
  const requestBody = keptBody(request.postData, headers, 'postData');
  const responseBody = keptBody(response.content, answerHeaders, 'content');
  const started = typeof entry.startedDateTime === 'string' ? Date.parse(entry.startedDateTime) : Number.NaN;
  return {
    exchange: {
      time: Number.isNaN(started) ? readTime : new Date(started).toISOString(),
      method: request.method,
      pathname: pathname || '/',
      search,
      headers,
      headerNames: requestHeaders.map(([name]) => name),
      status,
      responseHeaders: answerHeaders,
      request: requestBody,
      response: responseBody,
    },
  };
}

// ── Headers and cookies ─────────────────────────────────────────────────────────────────────────────────────

/**
 * A HAR's header list as [name, value] pairs, in order, repeated names kept; HTTP/2's pseudo-headers (`:path`,
 * `:authority`) left out. Undefined when it is not a list; an item without a name is left out, a value that is a
 * number read as text.
 * @param {unknown} list
 * @returns {[string, string][] | undefined}
 */
function harHeaders(list) {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return undefined;
  /** @type {[string, string][]} */
  const pairs = [];
  for (const item of list) {
    if (!isObject(item) || typeof item.name !== 'string' || item.name === '' || item.name.startsWith(':')) continue;
    const value = typeof item.value === 'string' ? item.value : typeof item.value === 'number' ? String(item.value) : '';
    pairs.push([item.name, value]);
  }
  return pairs;
}

/**
 * Request headers as Node gives them to the proxy: names in lower case, a repeated header's values joined (`, `;
 * cookies with `; `). `cookie`: the entry's cookie list when it has no Cookie header (some tools keep only the
 * list), so the masking learns every cookie's value.
 * @param {[string, string][]} pairs
 * @param {string | undefined} cookie
 * @returns {Record<string, string>}
 */
function joinHeaders(pairs, cookie) {
  /** @type {Record<string, string>} */
  const headers = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    headers[key] = Object.hasOwn(headers, key) ? `${headers[key]}${key === 'cookie' ? '; ' : ', '}${value}` : value;
  }
  if (cookie !== undefined && !Object.hasOwn(headers, 'cookie')) headers.cookie = cookie;
  return headers;
}

/**
 * Answer headers as Node gives them: names in lower case, `set-cookie` a list, others joined with `, `. The
 * entry's cookie list stands in for Set-Cookie headers a tool left out.
 * @param {[string, string][]} pairs
 * @param {string[]} setCookies
 * @returns {Record<string, string | string[]>}
 */
function responseHeaderRecord(pairs, setCookies) {
  /** @type {Record<string, string | string[]>} */
  const headers = {};
  const cookies = [];
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    if (key === 'set-cookie') cookies.push(value);
    else headers[key] = Object.hasOwn(headers, key) ? `${headers[key]}, ${value}` : value;
  }
  const all = cookies.length ? cookies : setCookies;
  if (all.length) headers['set-cookie'] = all;
  return headers;
}

/** `name=value` of each cookie of a HAR's cookie list (items without a name left out). */
function cookiePairs(list) {
  if (!Array.isArray(list)) return [];
  return list
    .filter((c) => isObject(c) && typeof c.name === 'string')
    .map((c) => `${c.name}=${typeof c.value === 'string' ? c.value : ''}`);
}
const cookieHeader = (list) => cookiePairs(list).join('; ') || undefined;
const setCookieHeaders = (list) => cookiePairs(list);

// ── Bodies ──────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * A request's `postData` or an answer's `content` as the body the checker keeps, its headers made to say what the
 * bytes are: the Content-Type from `mimeType` when the headers lack one, and no Content-Encoding (a HAR's text is
 * decoded; a base64 body still compressed is decoded here, within MAX_VALIDATED_BYTES).
 * - `text`, plain or `encoding: "base64"`; for a request without `text`, its `params` (a form) form-encoded;
 * - no body member: an empty body — unless the answer's `content.size` says there were bytes, which the
 *   recording left out (then it is not validated, and the report says so).
 * @param {unknown} body
 * @param {Record<string, string | string[]>} headers changed in place
 * @param {'postData' | 'content'} member
 * @returns {KeptBody}
 */
function keptBody(body, headers, member) {
  const coding = headers['content-encoding'];
  delete headers['content-encoding'];
  if (!isObject(body)) return { bytes: new Uint8Array(0), size: 0, overflow: false };
  if (typeof body.mimeType === 'string' && body.mimeType !== '' && !Object.hasOwn(headers, 'content-type'))
    headers['content-type'] = body.mimeType;
  if (typeof body.text === 'string') {
    if (body.encoding === undefined || body.encoding === '') return keep(Buffer.from(body.text, 'utf8'));
    if (body.encoding !== 'base64') return unread(`the recording's ${member}.encoding is not base64, the only one HAR names`);
    return base64Body(body.text, [coding].flat()[0], member);
  }
  if (member === 'postData' && Array.isArray(body.params) && body.params.length > 0)
    return keep(Buffer.from(formText(body.params), 'utf8'));
  if (member === 'content' && typeof body.size === 'number' && body.size > 0)
    return unread('the recording holds no body (content.text is absent)', body.size);
  return { bytes: new Uint8Array(0), size: 0, overflow: false };
}

/** A form's params as the form-encoded text a browser sends (a file's content is not in a HAR: its name stands). */
function formText(params) {
  const form = new URLSearchParams();
  for (const p of params) {
    if (!isObject(p) || typeof p.name !== 'string') continue;
    form.append(p.name, typeof p.value === 'string' ? p.value : typeof p.fileName === 'string' ? p.fileName : '');
  }
  return form.toString();
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * A base64 body decoded: refused when it is not base64 (a HAR's `encoding` says it is), too big to validate
 * before it is decoded, and still compressed when its Content-Encoding says so and its bytes are in that coding
 * (some tools record the bytes as they came).
 * @param {string} text
 * @param {string | undefined} coding the entry's Content-Encoding
 * @param {string} member
 * @returns {KeptBody}
 */
function base64Body(text, coding, member) {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 === 1 || !(BASE64.test(compact) || BASE64URL.test(compact)))
    return unread(`the recording's ${member}.text is marked base64 but is not`);
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  const size = Math.floor(((compact.length - padding) * 3) / 4);
  // A compressed body may decode to MAX_VALIDATED_BYTES from fewer bytes; an uncompressed one is that size.
  if (size > MAX_VALIDATED_BYTES) return { bytes: null, size, overflow: true };
  const bytes = Buffer.from(compact, BASE64.test(compact) ? 'base64' : 'base64url');
  if (!coding) return keep(bytes);
  const decoded = decodeBody(bytes, coding, MAX_VALIDATED_BYTES);
  if ('bytes' in decoded) return keep(decoded.bytes);
  // Bytes that are not in the coding their header names were recorded decoded (as browsers record them).
  if (decoded.corrupt) return keep(bytes);
  return unread(decoded.unchecked, bytes.length);
}

/** @param {Uint8Array} bytes @returns {KeptBody} */
function keep(bytes) {
  if (bytes.length > MAX_VALIDATED_BYTES) return { bytes: null, size: bytes.length, overflow: true };
  // A buffer of its own: it is moved to the checker's thread, not copied (a Buffer may share a pool).
  return { bytes: new Uint8Array(bytes), size: bytes.length, overflow: false };
}

/** A body the checker cannot read, and why. @returns {KeptBody} */
const unread = (why, size = 0) => ({ bytes: null, size, overflow: false, why });

// ── Checking a reading ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Hands every exchange of a reading to the checker (`startChecks`), in the file's order, each once the checker's
 * queue has room for it (so none is refused for a busy checker, and memory holds at most the queue); resolves once
 * every one is checked, reported and captured, with how many the checker could not take (none unless the checker
 * stopped and could not start again; the console said so).
 * @param {HarReading} reading
 * @param {import('./checks.js').Checks} checks
 * @returns {Promise<{ exchanges: number, unchecked: number }>}
 */
export async function checkHar(reading, checks) {
  let exchanges = 0;
  let unchecked = 0;
  for await (const exchange of reading) {
    exchanges++;
    await checks.room(exchange);
    if (!checks.submit(exchange)) unchecked++;
  }
  await checks.flush();
  return { exchanges, unchecked };
}
