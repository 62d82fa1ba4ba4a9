// The validating proxy: forwards every request to the upstream gateway unchanged and streams the answer back
// unchanged; a copy of each body (up to the mock's 1 MiB limit) is checked against the spec once the exchange
// is over, so validation never delays or alters traffic. Exchanges on what the spec lacks are captured.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { answerClientError, listen, sendProblem } from '@qzz/http';
import { selectorOf } from '@qzz/spec/actions';
import { openCapture } from './capture.js';
import { createChecker, printable, shapeOf } from './check.js';
import { cleanReportLine, cleanRoute, secretsOf } from './redact.js';

export const DEFAULT_PORT = 4020;
/** Bodies up to the mock's limit are validated; bigger ones are forwarded untouched and reported as not validated. */
export const MAX_VALIDATED_BYTES = 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;

// Headers that describe one connection, not the message (RFC 9110 §7.6.1): each hop sets its own.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * @typedef {{ time: string, route: string, action: string | null, direction: 'request' | 'response', status: number | null,
 *   pointer: string, kind: string, spec: string, seen: string }} ReportLine
 * @typedef {{ upstream: string, port?: number, host?: string, spec?: string, report?: string, capture?: string,
 *   timeoutMs?: number, log?: (line: string) => void, onReport?: (line: ReportLine) => void }} ProxyOptions
 */

/** The upstream's base URL, or an error that says what is wrong with it. */
export function parseUpstream(value) {
  let url;
  try {
    url = new URL(String(value ?? ''));
  } catch {
    throw new Error('The upstream must be an http(s) URL such as https://api.kingdee.com.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`The upstream must use http or https, not ${url.protocol}`);
  if (url.username || url.password || url.search || url.hash)
    throw new Error('The upstream URL takes no credentials, query or fragment: only scheme, host, port and an optional path prefix.');
  return url;
}

/** The raw header list without hop-by-hop headers (and without `host`, which the upstream's own replaces). */
function forwardHeaders(raw, host) {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || (host !== undefined && name === 'host')) continue;
    out.push(raw[i], raw[i + 1]);
  }
  if (host !== undefined) out.push('Host', host);
  return out;
}

/** RFC 9457 problem details, the shape the mock answers its own errors with. */
const problem = (res, status, detail) => sendProblem(res, { status, detail });

/** Keeps a copy of a stream's first MAX_VALIDATED_BYTES; past that it keeps nothing and only counts. */
function tee(stream, declaredLength) {
  const copy = { chunks: /** @type {Buffer[]} */ ([]), size: 0, overflow: Number(declaredLength) > MAX_VALIDATED_BYTES };
  stream.on('data', (chunk) => {
    copy.size += chunk.length;
    if (copy.overflow) return;
    if (copy.size > MAX_VALIDATED_BYTES) {
      copy.overflow = true;
      copy.chunks = [];
    } else copy.chunks.push(chunk);
  });
  return copy;
}

const isJsonType = (type) => /^application\/([^;]+\+)?json\b/i.test(type ?? '');

/** A kept body as the checks see it: parsed JSON, the text, or why it is not JSON. */
function parseBody(copy, contentType, expectJson) {
  const text = Buffer.concat(copy.chunks).toString('utf8');
  if (text === '') return { body: undefined };
  if (!isJsonType(contentType) && !expectJson && !/^\s*[[{]/.test(text)) return { body: text, text: true };
  try {
    return { body: JSON.parse(text) };
  } catch {
    // JSON.parse's message quotes the text it failed on, which may be a secret or personal data: only its size.
    return { body: text, text: true, parseError: `text that is not JSON (${text.length} characters)` };
  }
}

/**
 * Starts the proxy. Resolves once it listens, with its URL, `flush()` (waits until every finished exchange is
 * checked, reported — in the report file too — and captured) and `close()`.
 * @param {ProxyOptions} options
 */
export async function startProxy(
  {
    upstream,
    port = DEFAULT_PORT,
    host = '127.0.0.1',
    spec,
    report,
    capture,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    log = () => {},
    onReport,
  } = /** @type {any} */ ({}),
) {
  const base = parseUpstream(upstream);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new Error(`timeoutMs must be a positive number of milliseconds, not ${timeoutMs}.`);
  const prefix = base.pathname.replace(/\/+$/, '');
  const transport = base.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true });
  const specPath = spec ?? fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
  const doc = JSON.parse(await readFile(specPath, 'utf8'));
  const checker = createChecker(doc);
  const store = capture === undefined ? undefined : await openCapture(capture);
  let reportStream;
  if (report !== undefined) {
    reportStream = createWriteStream(report, { flags: 'a' });
    try {
      await once(reportStream, 'open');
    } catch (error) {
      throw new Error(`Cannot write the report to ${report}: ${error.code ?? error.message}.`);
    }
    // A report that stops being writable (a full disk) is said once on the console; traffic goes on.
    reportStream.once('error', (/** @type {NodeJS.ErrnoException} */ error) =>
      log(`the report ${report} can no longer be written (${error.code ?? error.message}); reporting to the console only`),
    );
  }
  const pending = new Set();

  /** @param {ReportLine} line */
  function emit(line) {
    if (reportStream?.writable) reportStream.write(`${JSON.stringify(line)}\n`);
    onReport?.(line);
    log(
      `${line.time.slice(11, 19)} ${line.action ?? line.route} ${line.direction}${line.status ? ` ${line.status}` : ''} ${line.pointer || '/'} ${line.kind}: spec ${line.spec}; seen ${line.seen}`,
    );
  }

  /** Checks (and perhaps captures) one finished exchange. */
  async function settle(exchange) {
    const { method, pathname, query, headers, requestCopy, status, responseHeaders, responseCopy } = exchange;
    const routeName = `${method} ${pathname}`;
    const route = checker.routes.get(routeName);
    const time = new Date().toISOString();
    const request = parseBody(requestCopy, headers['content-type'], route?.textBody);
    const answer = parseBody(responseCopy, responseHeaders['content-type'], true);
    // What the exchange must not leave in the report or a capture (its path, keys and values may hold it).
    /** @type {import('./redact.js').Secrets | undefined} */
    let exchangeSecrets;
    const secrets = () =>
      (exchangeSecrets ??= secretsOf({
        path: pathname,
        query,
        headers,
        body: request.body,
        answer: answer.body,
        answerHeaders: responseHeaders,
      }));
    /** @type {(direction: 'request' | 'response', action: string | null) => (f: import('./check.js').Finding) => void} */
    const out = (direction, action) => (finding) =>
      emit(
        cleanReportLine(
          { time, route: routeName, action, direction, status: direction === 'response' ? status : null, ...finding },
          secrets(),
        ),
      );
    const tooBig = (direction, copy) =>
      out(
        direction,
        null,
      )({
        pointer: '',
        kind: 'not-validated',
        spec: `bodies up to ${MAX_VALIDATED_BYTES} bytes are validated`,
        seen: `${copy.size} bytes, forwarded untouched`,
      });
    if (requestCopy.overflow) tooBig('request', requestCopy);
    if (responseCopy.overflow) tooBig('response', responseCopy);
    /** Keeps a successful exchange the spec lacks as an evidence record (when capturing), and says where. */
    const capture = async (/** @type {{ selector: unknown, module?: string }} */ known, /** @type {string} */ what) => {
      if (!store || responseCopy.overflow || status < 200 || status >= 300) return;
      const file = await store.add({
        method,
        path: pathname,
        ...known,
        query,
        headers,
        headerNames: exchange.headerNames,
        contentType: headers['content-type'],
        body: request.body,
        status,
        answer: answer.body,
        secrets: secrets(),
      });
      log(`${time.slice(11, 19)} ${cleanRoute(routeName, secrets())}${what} captured in ${file}`);
    };

    if (!route) {
      const methods = [...checker.routes.values()].filter((r) => r.path === pathname).map((r) => r.method);
      out(
        'request',
        null,
      )({
        pointer: '',
        kind: 'unknown-route',
        spec: methods.length ? `only ${methods.join(', ')} on this path` : 'no such route',
        seen: routeName,
      });
      if (!requestCopy.overflow) await capture({ selector: selectorOf(request.body, checker.selectorKeys) }, '');
      return;
    }
    if (requestCopy.overflow) return;
    const takesBody = Boolean(route.operation.requestBody);
    if (takesBody && (request.parseError || request.body === undefined)) {
      // Without a body there is nothing to pick the action by: the request is reported, the answer not checked.
      for (const finding of checker.checkRequest(route, undefined, request.body, request.parseError)) out('request', null)(finding);
      return;
    }
    // An operation without a body (the gateway's token call) has one action.
    const { action, unknown } = takesBody ? checker.pickAction(route, request.body) : { action: route.actions[0], unknown: false };
    if (unknown) {
      const selector = selectorOf(request.body, route.selectorKeys);
      out(
        'request',
        null,
      )({
        pointer: '',
        kind: 'unknown-action',
        spec: `one of ${route.actions.map((a) => a.name).join(', ')}`,
        seen: `a body selecting ${describeSelector(selector)}`,
      });
      await capture({ selector, module: route.operation.tags?.[0] }, ' (new action)');
      return;
    }
    for (const finding of checker.checkRequest(route, action, request.body)) out('request', action?.name ?? null)(finding);
    if (responseCopy.overflow) return;
    const responseBody = answer.parseError ? undefined : answer.body;
    for (const finding of checker.checkResponse(route, action, status, responseBody, responseHeaders['content-type']))
      out('response', action?.name ?? null)(finding);
  }

  function handle(req, res) {
    const target = req.url ?? '';
    if (!target.startsWith('/')) return problem(res, 400, 'The request target must be a path (origin-form, starting with "/").');
    const [pathname, search = ''] = target.split(/\?(.*)/s);
    const headers = /** @type {Record<string, string>} */ (
      Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]))
    );
    const requestCopy = tee(req, req.headers['content-length']);
    let upstreamRequest;
    try {
      upstreamRequest = transport.request({
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port,
        path: `${prefix}${target}`,
        method: req.method,
        headers: forwardHeaders(req.rawHeaders, base.host),
        agent,
        setHost: false,
      });
    } catch (error) {
      req.resume();
      return problem(res, 400, `The request cannot be forwarded: ${error.message}`);
    }
    // The upstream has `timeoutMs` to answer once the request is sent, and again between any two chunks of its
    // answer: one that stalls half-way is cut off too, never left hanging.
    let timedOut = false;
    let callerGone = false;
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        upstreamRequest.destroy(new Error('timeout'));
      }, timeoutMs);
    };
    upstreamRequest.on('finish', arm);
    let failed = false;
    const fail = (error) => {
      clearTimeout(timer);
      // A caller that hung up is no upstream failure: nothing to answer, nothing to log.
      if (callerGone || failed) return;
      failed = true;
      if (res.headersSent) {
        log(
          `${new Date().toISOString().slice(11, 19)} ${req.method} ${pathname}: the upstream's answer ${timedOut ? `stalled for ${timeoutMs} ms` : 'broke off'}; the caller's connection is closed`,
        );
        return res.destroy();
      }
      req.resume();
      const detail = timedOut
        ? `The upstream ${base.origin} sent no answer within ${timeoutMs} ms.`
        : `The upstream ${base.origin} could not be reached or broke off: ${error.code ?? error.message}.`;
      log(`${new Date().toISOString().slice(11, 19)} ${req.method} ${pathname} → ${timedOut ? 504 : 502}: ${detail}`);
      problem(res, timedOut ? 504 : 502, detail);
    };
    upstreamRequest.on('error', fail);
    upstreamRequest.on('response', (upstreamResponse) => {
      arm();
      upstreamResponse.on('data', arm);
      upstreamResponse.on('end', () => clearTimeout(timer));
      const responseCopy = tee(upstreamResponse, upstreamResponse.headers['content-length']);
      res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.statusMessage, forwardHeaders(upstreamResponse.rawHeaders));
      upstreamResponse.pipe(res);
      upstreamResponse.on('error', fail);
      upstreamResponse.on('end', () => {
        const work = new Promise((resolve) => setImmediate(resolve))
          .then(() =>
            settle({
              method: req.method ?? 'GET',
              pathname,
              headerNames: req.rawHeaders.filter((_, i) => i % 2 === 0),
              query: new URLSearchParams(search),
              headers,
              requestCopy,
              status: upstreamResponse.statusCode ?? 0,
              responseHeaders: upstreamResponse.headers,
              responseCopy,
            }),
          )
          .catch((error) => log(`internal error while checking ${req.method} ${pathname}: ${error.stack}`));
        pending.add(work);
        work.finally(() => pending.delete(work));
      });
    });
    res.on('close', () => {
      if (res.writableFinished) return;
      callerGone = true;
      clearTimeout(timer);
      upstreamRequest.destroy();
    });
    req.pipe(upstreamRequest);
  }

  const server = http.createServer(handle);
  // Requests Node's parser refuses (malformed, headers too large) never reach `handle`: answered with a reason.
  server.on('clientError', answerClientError);
  const url = await listen(server, port, host);
  const flush = async () => {
    while (pending.size) await Promise.all([...pending]);
    await store?.flush();
    // Writes to the report are ordered: once an empty one is done, every line before it is in the file.
    if (reportStream?.writable) await new Promise((resolve) => reportStream.write('', () => resolve(undefined)));
  };
  return {
    url,
    server,
    flush,
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
      await flush();
      agent.destroy();
      if (reportStream && !reportStream.destroyed) await new Promise((resolve) => reportStream.end(resolve));
    },
  };
}

/** A selector for the report: its field names, with a value only when it is a short code (`operation="audit"`). */
function describeSelector(selector, prefix = '') {
  const parts = Object.entries(selector).map(([k, v]) =>
    v && typeof v === 'object'
      ? describeSelector(v, `${prefix}${k}.`)
      : `${prefix}${k}=${printable(v) ? JSON.stringify(v) : `(${shapeOf(v)})`}`,
  );
  return parts.length ? parts.join(', ') : 'no selector values';
}
