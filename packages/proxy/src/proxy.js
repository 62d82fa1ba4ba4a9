// The validating proxy: forwards every request to the upstream gateway unchanged and streams the answer back
// unchanged. A copy of each body (up to the mock's 1 MiB limit) goes, once the exchange is over, to the
// checker's worker thread (checks.js), which checks it against the spec and captures what the spec lacks: so
// checking never delays, alters or holds back traffic, and no body, however hostile, slows another caller.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { answerClientError, createCors, listen, sendProblem } from '@qzz/http';
import { requestShape } from '@qzz/spec/actions';
import { startChecks } from './checks.js';
import { MAX_KEPT_BYTES, MAX_VALIDATED_BYTES, MAX_WAITING_BYTES, MAX_WAITING_EXCHANGES } from './limits.js';
import { cleanReportLine, cleanRoute, secretsOf } from './redact.js';
import { openReport } from './report.js';

export { MAX_VALIDATED_BYTES };
export const DEFAULT_PORT = 4020;
export const DEFAULT_TIMEOUT_MS = 30_000;
/** The longest timeout Node's timers keep: past it they fire at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

// Headers that describe one connection, not the message (RFC 9110 §7.6.1): each hop sets its own. So are the
// headers a message's own Connection header names.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * @typedef {import('./report.js').ReportLine} ReportLine
 * @typedef {{ upstream: string, port?: number, host?: string, spec?: string, report?: string, capture?: string,
 *   timeoutMs?: number, maxKeptBytes?: number, log?: (line: string) => void, onReport?: (line: ReportLine) => void,
 *   cors?: import('@qzz/http').CorsOrigins }} ProxyOptions
 *   `cors`: off (`false`) unless asked: the proxy fronts a real gateway.
 * @typedef {{ held: number, max: number }} KeptBudget the bytes the copies of exchanges in flight hold, and their ceiling
 * @typedef {{ base: URL, prefix: string, transport: typeof http | typeof https, agent: http.Agent, timeoutMs: number,
 *   kept: KeptBudget, log: (line: string) => void, settle: (exchange: import('./settle.js').FinishedExchange) => void,
 *   cors: import('@qzz/http').Cors | undefined }} Forwarder
 *   What forwarding one exchange needs: where to, how long to wait, what copies may hold, where a finished
 *   exchange goes, and the proxy's CORS when asked for.
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

/** The header names a raw header list's Connection headers name (lower-cased). */
function connectionOptions(raw) {
  const names = new Set();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() !== 'connection') continue;
    for (const name of raw[i + 1].split(',')) names.add(name.trim().toLowerCase());
  }
  return names;
}

/** The raw header list without hop-by-hop headers (and without `host`, which the upstream's own replaces). */
function forwardHeaders(raw, host) {
  const named = connectionOptions(raw);
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || named.has(name) || (host !== undefined && name === 'host')) continue;
    out.push(raw[i], raw[i + 1]);
  }
  if (host !== undefined) out.push('Host', host);
  return out;
}

/**
 * The upstream's answer headers with the proxy's CORS headers, when it has any: the proxy answers for CORS (the
 * browser calls it, not the upstream), so the upstream's own `Access-Control-*` headers give way to its; a `Vary`
 * of the proxy's is added beside the upstream's (a header may repeat).
 * @param {string[]} raw
 * @param {Record<string, string>} cors
 */
function withCors(raw, cors) {
  if (Object.keys(cors).length === 0) return raw;
  const out = [];
  for (let i = 0; i < raw.length; i += 2) if (!raw[i].toLowerCase().startsWith('access-control-')) out.push(raw[i], raw[i + 1]);
  for (const [header, value] of Object.entries(cors)) out.push(header, value);
  return out;
}

/** RFC 9457 problem details, the shape the mock answers its own errors with. */
const problem = (res, status, detail, headers = {}) => sendProblem(res, { status, detail }, headers);

/**
 * Keeps a copy of a stream's first MAX_VALIDATED_BYTES, within what all copies in flight may hold (`budget`);
 * past either it keeps nothing and only counts, and `why` says which. `release()` gives its bytes back.
 * @param {import('node:stream').Readable} stream
 * @param {string | undefined} declaredLength
 * @param {KeptBudget} budget
 */
function tee(stream, declaredLength, budget) {
  const copy = {
    chunks: /** @type {Buffer[]} */ ([]),
    size: 0,
    kept: 0,
    overflow: Number(declaredLength) > MAX_VALIDATED_BYTES,
    /** @type {string | undefined} */
    why: undefined,
    release() {
      budget.held -= copy.kept;
      copy.kept = 0;
      copy.chunks = [];
    },
  };
  stream.on('data', (/** @type {Buffer} */ chunk) => {
    copy.size += chunk.length;
    if (copy.overflow) return;
    if (copy.size > MAX_VALIDATED_BYTES || budget.held + chunk.length > budget.max) {
      copy.overflow = true;
      if (copy.size <= MAX_VALIDATED_BYTES) copy.why = `the copies of the exchanges in flight hold ${budget.max} bytes, the most they may`;
      copy.release();
      return;
    }
    copy.chunks.push(chunk);
    copy.kept += chunk.length;
    budget.held += chunk.length;
  });
  return copy;
}

/**
 * A kept copy as the checker takes it: the bytes in a buffer of their own (moved to the worker, not copied).
 * @param {ReturnType<typeof tee>} copy
 * @returns {import('./settle.js').KeptBody}
 */
function keptBody(copy) {
  if (copy.overflow) return { bytes: null, size: copy.size, overflow: true, ...(copy.why ? { why: copy.why } : {}) };
  const bytes = new Uint8Array(copy.size);
  let at = 0;
  for (const chunk of copy.chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { bytes, size: copy.size, overflow: false };
}

/**
 * Why the upstream's answer must not be relayed though Node would write it (undefined: it may): a status
 * outside 100–599, or a 101 (the caller cannot have asked for an upgrade: this server takes none).
 * @param {http.IncomingMessage} answer
 */
function unrelayable(answer) {
  const status = answer.statusCode ?? 0;
  if (status < 100 || status > 599) return `status ${status} is outside 100–599`;
  // Node hands other 1xx over as 'information' and waits for the final answer; a 101 comes here.
  if (status < 200) return `it switched protocols (${status}) though the caller asked for no upgrade`;
  return undefined;
}

const clock = () => new Date().toISOString().slice(11, 19);

/**
 * One request forwarded and its answer relayed. The upstream has `timeoutMs` to answer once the request is
 * sent, and again between any two chunks of its answer. An answer that cannot be relayed, a 101 nobody asked
 * for, or a connection that ends without an answer gets the caller a 502 with the reason; no answer in time a
 * 504. A finished exchange goes to the forwarder's `settle`.
 */
class Forwarding {
  /**
   * @param {Forwarder} forwarder
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {string} target the request target, a path
   */
  constructor(forwarder, req, res, target) {
    this.forwarder = forwarder;
    this.req = req;
    this.res = res;
    this.target = target;
    const [pathname, search = ''] = target.split(/\?(.*)/s);
    this.pathname = pathname;
    this.search = search;
    this.requestCopy = tee(req, req.headers['content-length'], forwarder.kept);
    res.on('close', () => this.requestCopy.release());
    /**
     * The proxy's CORS headers of this answer (none unless --cors), on its own refusals and on what it relays. Given
     * with the answer's headers, never set before them: Node would then keep only the last of repeated headers.
     */
    this.corsHeaders = forwarder.cors?.headersFor(req) ?? {};
    this.timedOut = false;
    this.callerGone = false;
    /** Answered or failed: later errors of the upstream's connection are not this exchange's. */
    this.settled = false;
    /** @type {http.IncomingMessage | undefined} */
    this.answer = undefined;
    /** @type {NodeJS.Timeout | undefined} */
    this.timer = undefined;
    /** @type {http.ClientRequest | undefined} */
    this.upstream = undefined;
  }

  /** Sends the request on, its body streamed; a request Node refuses to send is answered 400. */
  start() {
    const { base, prefix, transport, agent } = this.forwarder;
    let upstream;
    try {
      upstream = transport.request({
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port,
        path: `${prefix}${this.target}`,
        method: this.req.method,
        headers: forwardHeaders(this.req.rawHeaders, base.host),
        agent,
        setHost: false,
      });
    } catch (error) {
      this.req.resume();
      return problem(this.res, 400, `The request cannot be forwarded: ${error.message}`, this.corsHeaders);
    }
    this.upstream = upstream;
    upstream.on('finish', () => this.arm());
    upstream.on('error', (error) => this.unreachable(error));
    upstream.on('response', (answer) => this.relay(answer));
    // The caller cannot have asked for an upgrade (this server does not take them): a 101 is refused.
    upstream.on('upgrade', (/** @type {http.IncomingMessage} */ switching, socket) => {
      socket.destroy();
      this.refuse(`it switched protocols (${switching.statusCode}) though the caller asked for no upgrade`);
    });
    // Whatever else ends the upstream's connection before an answer: the caller is never left waiting.
    upstream.on('close', () => this.fail(`The upstream ${base.origin} closed the connection without an answer.`));
    this.res.on('close', () => {
      if (this.res.writableFinished) return;
      this.callerGone = true;
      clearTimeout(this.timer);
      upstream.destroy();
    });
    this.req.pipe(upstream);
  }

  /** (Re)starts the wait for the upstream's next move. */
  arm() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.upstream?.destroy(new Error('timeout'));
    }, this.forwarder.timeoutMs);
  }

  /**
   * `METHOD path` for a console line, with what the request carries of secrets and personal data removed. Only a
   * failure says it, so the work of reading them is not on the path of an answer.
   */
  route() {
    const { req } = this;
    const secrets = secretsOf({ path: this.pathname, query: new URLSearchParams(this.search), headers: req.headers });
    return cleanRoute(`${req.method} ${this.pathname}`, secrets);
  }

  /** The caller gets 502 (504 when the upstream took too long) with `detail`, or, mid-answer, a closed connection. */
  fail(/** @type {string} */ detail) {
    const { req, res, forwarder } = this;
    clearTimeout(this.timer);
    // A caller that hung up is no upstream failure: nothing to answer, nothing to log. Bytes after a complete
    // answer (a 204 with a body) break the upstream's connection, not this answer.
    if (this.callerGone || this.settled || this.answer?.complete) return;
    this.settled = true;
    if (res.headersSent) {
      const how = this.timedOut ? `stalled for ${forwarder.timeoutMs} ms` : 'broke off';
      forwarder.log(`${clock()} ${this.route()}: the upstream's answer ${how}; the caller's connection is closed`);
      res.destroy();
      return;
    }
    req.resume();
    const status = this.timedOut ? 504 : 502;
    forwarder.log(`${clock()} ${this.route()} → ${status}: ${detail}`);
    problem(res, status, detail, this.corsHeaders);
  }

  /** The upstream could not be reached, broke off, or took too long. */
  unreachable(/** @type {NodeJS.ErrnoException} */ error) {
    const { base, timeoutMs } = this.forwarder;
    this.fail(
      this.timedOut
        ? `The upstream ${base.origin} sent no answer within ${timeoutMs} ms.`
        : `The upstream ${base.origin} could not be reached or broke off: ${error.code ?? error.message}.`,
    );
  }

  /** The upstream answered, with something the proxy must not relay. */
  refuse(/** @type {string} */ reason) {
    this.fail(`The upstream ${this.forwarder.base.origin} sent an answer the proxy cannot relay: ${reason}.`);
  }

  /** Relays the upstream's answer as it came, once it is known to be relayable, and settles the exchange at its end. */
  relay(/** @type {http.IncomingMessage} */ answer) {
    this.answer = answer;
    const reason = unrelayable(answer);
    if (reason) {
      answer.destroy();
      return this.refuse(reason);
    }
    this.arm();
    answer.on('data', () => this.arm());
    const responseCopy = tee(answer, answer.headers['content-length'], this.forwarder.kept);
    // The copies are the checker's once the exchange is settled; however it ends, their bytes are given back.
    this.res.on('close', () => responseCopy.release());
    try {
      this.res.writeHead(answer.statusCode ?? 502, answer.statusMessage, withCors(forwardHeaders(answer.rawHeaders), this.corsHeaders));
    } catch (error) {
      // What Node's parser takes but its writer refuses (control bytes in the status line: "Invalid character in
      // statusMessage"): the caller hears why, and the proxy goes on. Node's message names no value.
      this.res.statusMessage = '';
      answer.destroy();
      return this.refuse(`Node refuses to write it (${error.message})`);
    }
    answer.pipe(this.res);
    answer.on('error', (error) => this.unreachable(error));
    answer.on('end', () => {
      clearTimeout(this.timer);
      this.settled = true;
      this.forwarder.settle(this.finished(answer, responseCopy));
    });
  }

  /**
   * The exchange as the checker takes it.
   * @param {http.IncomingMessage} answer
   * @param {ReturnType<typeof tee>} responseCopy
   * @returns {import('./settle.js').FinishedExchange}
   */
  finished(answer, responseCopy) {
    const { req } = this;
    return {
      time: new Date().toISOString(),
      method: req.method ?? 'GET',
      pathname: this.pathname,
      search: this.search,
      headers: /** @type {Record<string, string>} */ (
        Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]))
      ),
      headerNames: req.rawHeaders.filter((_, i) => i % 2 === 0),
      status: answer.statusCode ?? 0,
      // All of them: the checker reads the answer's secrets (a Set-Cookie, a token header) to keep them out of what it writes.
      responseHeaders: answer.headers,
      request: keptBody(this.requestCopy),
      response: keptBody(responseCopy),
    };
  }
}

/**
 * Answers one request: a target that is not a path is refused, anything else forwarded.
 * @param {Forwarder} forwarder
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
function forward(forwarder, req, res) {
  // A preflight is the proxy's to answer when it does CORS: the gateway behind it never sees one.
  if (forwarder.cors?.isPreflight(req)) return forwarder.cors.answerPreflight(req, res);
  const target = req.url ?? '';
  if (!target.startsWith('/')) return problem(res, 400, 'The request target must be a path (origin-form, starting with "/").');
  new Forwarding(forwarder, req, res, target).start();
}

/**
 * The options checked, with their defaults.
 * @param {ProxyOptions} options
 */
function proxySettings({ upstream, timeoutMs = DEFAULT_TIMEOUT_MS, spec, maxKeptBytes = MAX_KEPT_BYTES }) {
  const base = parseUpstream(upstream);
  // Past 2^31 - 1 ms Node's timers fire at once: every call would time out.
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS)
    throw new Error(`timeoutMs must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, not ${timeoutMs}.`);
  if (!Number.isInteger(maxKeptBytes) || maxKeptBytes < 0)
    throw new Error(`maxKeptBytes must be a whole number of bytes, not ${maxKeptBytes}.`);
  const transport = base.protocol === 'https:' ? https : http;
  return {
    base,
    prefix: base.pathname.replace(/\/+$/, ''),
    transport,
    agent: new transport.Agent({ keepAlive: true }),
    timeoutMs,
    kept: { held: 0, max: maxKeptBytes },
    specPath: spec ?? fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')),
  };
}

/**
 * A report line for an exchange the checker had no room for, its route cleaned of what the request carries.
 * @param {import('./settle.js').FinishedExchange} exchange
 * @returns {import('./settle.js').ExchangeLine}
 */
const uncheckedLine = (exchange) =>
  cleanReportLine(
    {
      time: exchange.time,
      route: `${exchange.method} ${exchange.pathname}`,
      action: null,
      direction: 'request',
      status: null,
      pointer: '',
      pattern: '',
      kind: 'not-validated',
      spec: `at most ${MAX_WAITING_EXCHANGES} exchanges (${MAX_WAITING_BYTES / 2 ** 20} MiB of bodies) wait to be checked`,
      seen: 'the checker was busy: forwarded untouched, neither checked nor captured',
      count: 1,
    },
    secretsOf({ path: exchange.pathname, query: new URLSearchParams(exchange.search), headers: exchange.headers }),
  );

/**
 * The proxy's CORS when asked for: the methods and headers of the spec's calls.
 * @param {string} specPath
 * @param {import('@qzz/http').CorsOrigins} origins
 */
async function proxyCors(specPath, origins) {
  if (origins === false) return undefined;
  const { methods, headers } = requestShape(JSON.parse(await readFile(specPath, 'utf8')));
  return createCors({ origins, methods, headers });
}

/**
 * Starts the proxy. Resolves once it listens, with its URL, `flush()` (waits until every finished exchange is
 * checked, reported — in the report file too — and captured) and `close()`.
 * @param {ProxyOptions} options
 */
export async function startProxy(options = /** @type {any} */ ({})) {
  const { port = DEFAULT_PORT, host = '127.0.0.1', capture, log = () => {} } = options;
  const { specPath, ...settings } = proxySettings(options);
  const report = await openReport({ file: options.report, onReport: options.onReport, log });
  let checks;
  try {
    checks = await startChecks({ spec: specPath, capture, log, onSettled: (lines) => report.add(lines) });
  } catch (error) {
    await report.close();
    throw error;
  }
  /** @type {Forwarder} */
  const forwarder = {
    ...settings,
    cors: await proxyCors(specPath, options.cors ?? false),
    log,
    settle: (exchange) => {
      if (!checks.submit(exchange)) report.add([uncheckedLine(exchange)]);
    },
  };
  const server = http.createServer((req, res) => forward(forwarder, req, res));
  // Requests Node's parser refuses (malformed, headers too large) never reach `forward`: answered with a reason.
  server.on('clientError', answerClientError);
  const url = await listen(server, port, host);
  const flush = async () => {
    await checks.flush();
    await report.flush();
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
      await checks.close();
      settings.agent.destroy();
      await report.close();
    },
  };
}
