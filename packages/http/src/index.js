// What the kit's servers (the mock, the docs site, the proxy) share about HTTP itself: reading a request target
// and a Content-Type without trusting either, refusing with a body that says why, and listening, closing and
// stopping on Ctrl-C the same way.
import { createServer, STATUS_CODES } from 'node:http';

export { NULL_BODY_STATUSES, readLimited } from './body.js';
export { createCors, KIT_HEADERS, parseCors } from './cors.js';
/** @typedef {import('./cors.js').CorsOrigins} CorsOrigins */
/** @typedef {import('./cors.js').Cors} Cors */

/** A request the server refuses before doing anything with it: answered with `status` and `detail`. */
export class Refusal extends Error {
  /**
   * @param {number} status
   * @param {string} detail
   * @param {Record<string, string>} [headers]
   */
  constructor(status, detail, headers = {}) {
    super(detail);
    this.status = status;
    this.headers = headers;
  }
}

/** The client hung up before its request was read: nothing to answer, nothing to log. */
export class ClientGone extends Error {}

/** RFC 9457 problem details: every refusal of the kit's servers says why in this shape. */
function problemBody({ type = 'about:blank', status, title = STATUS_CODES[status], detail, ...extra }) {
  return JSON.stringify({ type, title, status, detail, ...extra });
}

/**
 * A problem answer as data, for a server that answers without a socket (the mock in-process) as it does over HTTP.
 * @param {{ status: number, detail: string, type?: string, title?: string, [key: string]: unknown }} problem
 * @param {Record<string, string>} [headers]
 * @returns {{ status: number, headers: Record<string, string>, body: string }}
 */
export function problemAnswer(problem, headers = {}) {
  const body = problemBody(problem);
  return {
    status: problem.status,
    headers: { ...headers, 'content-type': 'application/problem+json', 'content-length': String(Buffer.byteLength(body)) },
    body,
  };
}

/**
 * Writes a problem answer.
 * @param {import('node:http').ServerResponse} res
 * @param {{ status: number, detail: string, type?: string, title?: string, [key: string]: unknown }} problem
 * @param {Record<string, string>} [headers]
 */
export function sendProblem(res, problem, headers = {}) {
  const answer = problemAnswer(problem, headers);
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/** `text` percent-decoded as UTF-8, or a Refusal naming the `part` of the target that is malformed. */
function decodeStrictly(text, part) {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) throw new Refusal(400, `The request ${part} has a "%" that is not followed by two hex digits.`);
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Refusal(400, `The request ${part} percent-encodes bytes that are not valid UTF-8.`);
  }
}

/**
 * The path (percent-decoded) and query of an origin-form request target (`/a/b?x=1`), or a Refusal saying
 * why the target cannot be read. `//x` is refused rather than read: URL parsers take it for a host, so it
 * could only be guessed at (reading it as `/x` would answer a route the client never asked for).
 * @param {string | undefined} target
 * @returns {{ path: string, query: Record<string, string> }}
 */
export function parseTarget(target) {
  if (target && /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(target)) {
    // The absolute form (`http://host/path`) that HTTP/1.1 servers must accept: only its path and query count.
    let url;
    try {
      url = new URL(target);
    } catch {
      throw new Refusal(400, 'The request target is an absolute URL that cannot be parsed.');
    }
    return parseTarget(`${url.pathname}${url.search}`);
  }
  if (!target?.startsWith('/')) {
    throw new Refusal(
      400,
      `The request target must be an absolute path such as "/route?query"; got ${JSON.stringify(String(target ?? '').slice(0, 100))}.`,
    );
  }
  const at = target.indexOf('?');
  const rawPath = at === -1 ? target : target.slice(0, at);
  const rawQuery = at === -1 ? '' : target.slice(at + 1);
  if (rawPath.startsWith('//'))
    throw new Refusal(
      400,
      'The request path starts with "//", which URL parsers read as a host name: send a path with a single leading "/".',
    );
  const path = decodeStrictly(rawPath, 'path');
  /** @type {Record<string, string>} */
  const query = {};
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const [key, value] = eq === -1 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    query[decodeStrictly(key.replaceAll('+', ' '), 'query')] = decodeStrictly(value.replaceAll('+', ' '), 'query');
  }
  return { path, query };
}

/** A character of an RFC 9110 token: what a media type, a subtype and a parameter name are made of. */
const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/**
 * A Content-Type header as RFC 9110 writes it (`type/subtype; name=value`), lower-cased, or undefined when
 * the header is not one media type (a list, a bare word, stray separators). Read by a scanner that looks at each
 * character once: the grammar written as one regular expression backtracks exponentially (a header of 250
 * bytes took 1.5 s, and each 11 bytes more doubled it).
 * @param {string | undefined} header
 * @returns {{ essence: string, params: Record<string, string> } | undefined}
 */
export function parseMediaType(header) {
  const text = String(header ?? '').trim();
  let at = 0;
  const token = () => {
    const start = at;
    while (at < text.length && TOKEN_CHAR.test(text[at])) at++;
    return text.slice(start, at);
  };
  const whitespace = () => {
    while (text[at] === ' ' || text[at] === '\t') at++;
  };
  /** A quoted string's content (`\x` is x), or undefined when it is not closed. */
  const quoted = () => {
    let value = '';
    for (at++; at < text.length; at++) {
      if (text[at] === '"') {
        at++;
        return value;
      }
      if (text[at] === '\\') at++;
      if (at < text.length) value += text[at];
    }
    return undefined;
  };

  const type = token();
  if (!type || text[at++] !== '/') return undefined;
  const subtype = token();
  if (!subtype) return undefined;
  /** @type {Record<string, string>} */
  const params = {};
  for (whitespace(); at < text.length; whitespace()) {
    if (text[at++] !== ';') return undefined;
    whitespace();
    // An empty parameter (`a/b;`, `a/b; ;`) is allowed, as the grammar's `*( OWS ";" [ parameter ] )` allows it.
    if (at === text.length || text[at] === ';') continue;
    const name = token();
    if (!name || text[at++] !== '=') return undefined;
    const value = text[at] === '"' ? quoted() : token() || undefined;
    if (value === undefined) return undefined;
    params[name.toLowerCase()] = value;
  }
  return { essence: `${type}/${subtype}`.toLowerCase(), params };
}

// Node refuses some requests itself, before a handler runs; each gets a status and a reason like any other refusal.
/** @type {Record<string, [number, string]>} */
const NODE_REFUSALS = {
  HPE_HEADER_OVERFLOW: [431, 'The request headers are larger than this server accepts.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request was not received in time: the server stopped waiting for its headers or body.'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'The chunk extensions are larger than this server accepts.'],
};

/**
 * The status and reason of Node's refusal of a request its parser rejects with `code` (e.g. `HPE_INVALID_METHOD`).
 * @param {string | undefined} code
 * @returns {[number, string]}
 */
export const nodeRefusal = (code) => NODE_REFUSALS[code ?? ''] ?? [400, `The request is not valid HTTP/1.1 (${code ?? 'unreadable'}).`];

/**
 * The 'clientError' handler: Node's own refusals (bad framing, oversized headers, timeouts) answered with a
 * problem body that says why. A client that hung up is let go without a word.
 * @param {Error & { code?: string }} error
 * @param {import('node:stream').Duplex} socket
 */
export function answerClientError(error, socket) {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, detail] = nodeRefusal(error.code);
  endWithProblem(socket, status, detail);
}

/**
 * Answers on a socket no ServerResponse holds (Node refused the request, or it is a CONNECT) with a problem, and
 * closes the connection.
 * @param {import('node:stream').Duplex} socket
 * @param {number} status
 * @param {string} detail
 */
function endWithProblem(socket, status, detail) {
  const body = problemBody({ status, detail });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** How long a client may take to send its request headers before it is answered 408. */
const HEADERS_TIMEOUT_MS = 20_000;

/**
 * An HTTP server whose handler can fail without stopping it: a Refusal is answered with its status and reason
 * (closing the connection when the refused body was not read), a client that hung up is let go, and anything
 * else is logged and answered 500. Node's own refusals get a reason too (see answerClientError). With `cors`
 * (see createCors), preflights are answered before the handler sees them, and every answer it writes, a
 * refusal included, carries the CORS headers.
 * @param {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>} answer
 * @param {{ name: string, log: (line: string) => void, headersTimeoutMs?: number, cors?: import('./cors.js').Cors }} settings
 */
export function guardedServer(answer, { name, log, headersTimeoutMs = HEADERS_TIMEOUT_MS, cors }) {
  // Node's own answer to a request without Host has no body: the check is made here instead, with a reason.
  const server = createServer({ connectionsCheckingInterval: 1_000, requireHostHeader: false }, (req, res) => {
    if (cors?.isPreflight(req)) return cors.answerPreflight(req, res);
    if (cors) for (const [header, value] of Object.entries(cors.headersFor(req))) res.setHeader(header, value);
    const hostless = req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.host === undefined;
    (hostless ? Promise.reject(new Refusal(400, 'An HTTP/1.1 request must carry a Host header.')) : answer(req, res)).catch((error) => {
      if (error instanceof ClientGone || res.headersSent) return res.destroy();
      if (error instanceof Refusal) {
        // Unread bytes of a refused body would be taken for the next request: this connection ends here.
        const unread = !req.complete;
        sendProblem(
          res,
          { status: error.status, detail: error.message },
          unread ? { ...error.headers, connection: 'close' } : error.headers,
        );
        if (unread) res.on('finish', () => setTimeout(() => req.socket.destroy(), 1_000).unref());
        return;
      }
      log(`internal error: ${error?.stack ?? error}`);
      sendProblem(res, { status: 500, detail: `The server failed: this is a bug in ${name}.` });
    });
  });
  server.on('clientError', answerClientError);
  // Stalled headers end in a 408 well within 30 s (Node waits 60 s by default); a handler bounds its body itself.
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = Math.max(headersTimeoutMs, 30_000);
  server.on('checkExpectation', (_req, res) =>
    sendProblem(res, { status: 417, detail: 'The only expectation this server meets is Expect: 100-continue.' }),
  );
  server.on('connect', (_req, socket) => endWithProblem(socket, 405, 'CONNECT is not supported: this is not a proxy.'));
  return server;
}

/**
 * Listens on `port`/`host`; rejects with a message that says what to do when the port is taken.
 * @param {import('node:http').Server} server
 * @param {number} port
 * @param {string} host
 * @returns {Promise<string>} the server's URL
 */
export async function listen(server, port, host) {
  await new Promise((resolve, reject) => {
    server.once('error', (/** @type {NodeJS.ErrnoException} */ error) =>
      reject(
        error.code === 'EADDRINUSE'
          ? Object.assign(new Error(`Port ${port} is in use: stop what listens there or pick another with --port.`), { code: error.code })
          : error,
      ),
    );
    server.listen(port, host, () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

/**
 * Stops accepting connections and closes idle ones; resolves once the server is closed.
 * @param {import('node:http').Server} server
 */
export function close(server) {
  return new Promise((resolve) => {
    server.close(() => resolve(undefined));
    server.closeIdleConnections();
  });
}

/**
 * `--port` and friends of a server's command line: a whole number from 0 to 65535, or an Error saying so.
 * @param {string | undefined} value
 * @param {number} fallback
 */
export function parsePort(value, fallback) {
  // Decimal digits only: Number() would also take `0x10`, `1e3` and surrounding spaces.
  const port = value === undefined ? fallback : /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535, not "${value}".`);
  }
  return port;
}

/**
 * Runs a server from its command line until Ctrl-C or SIGTERM: prints `banner(url)` once it listens (with
 * `localhost` for the loopback address), and closes it on the signal. A server that cannot start (a port in use,
 * a folder it cannot write) prints why and exits 1.
 * @param {() => Promise<{ url: string, close(): Promise<unknown> }>} start
 * @param {(url: string) => string} banner
 */
export async function serveUntilSignal(start, banner) {
  let server;
  try {
    server = await start();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
  console.log(banner(server.url.replace('127.0.0.1', 'localhost')));
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
