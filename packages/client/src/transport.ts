// The openapi-fetch clients every call goes through: each request bounded by a timeout, business calls carrying
// their credentials through openapi-fetch's own client options (no middleware rebuilding a Request), and, unless
// the raw client was given middleware, each request handed to fetch as a URL and an init rather than as a
// Request object: undici proxies the body of a Request it is given through a TransformStream, which costs about
// a fifth of a raw fetch per call (pnpm bench). AbortSignal.timeout and AbortSignal.any cost a few percent more
// on Node 20, so the action functions bound each attempt with `withTimeout` (one timer, cleared when the answer
// is read) on clients made `untimed`.
import createClient, { type Client, createQuerySerializer, type Middleware } from 'openapi-fetch';
import type { QzzCredentials } from './credentials.js';
import { markNotSent, redactedError, safely } from './errors.js';
import type { paths } from './generated/schema.js';

export interface TransportOptions {
  baseUrl: string;
  /** The secrets known so far: an error a fetch throws is passed on with them redacted (it may quote the URL). */
  secrets?: () => readonly string[];
  fetch?: typeof globalThis.fetch | undefined;
  /** Milliseconds before a request, its answer's body included, is abandoned. */
  timeoutMs: number;
}

/**
 * The Request openapi-fetch makes for a client no middleware sees: it only carries the URL and the init it was
 * made from to `send`, which sends those, so it is made with neither body nor headers (a body costs a Request a
 * ReadableStream). A client whose Requests other code sees (middleware, a caller's own fetch) makes whole ones,
 * sent as they are: openapi-fetch also requires a middleware's Request to be of the client's Request class.
 */
class CarrierRequest extends Request {
  readonly init: RequestInit | undefined;
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    // The method is kept: openapi-fetch reads it (a HEAD answer has no body to parse).
    super(input, init && { method: init.method });
    this.init = init;
  }
}

const defaultQuery = createQuerySerializer();

/**
 * The error codes (Node's and undici's) of a fetch that failed while connecting, before any byte of the request
 * was written: refused, no such host, unreachable, the connect timed out, the TLS handshake refused the server's
 * certificate. Any other failure after fetch was called may follow a request the server read.
 */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * True when a fetch failure is a connect failure (see CONNECT_FAILURES): undici's `fetch failed` names it in its
 * cause's `code`, or, when every address of the host was tried, in each of the cause's `errors`. A browser's fetch
 * says nothing of the kind, so there every failure after the call counts as possibly sent.
 */
function failedToConnect(error: unknown): boolean {
  return safely(() => {
    const cause = error instanceof Error ? error.cause : undefined;
    const connectCode = (value: unknown) =>
      typeof value === 'object' && value !== null && 'code' in value && CONNECT_FAILURES.has(String(value.code));
    if (connectCode(cause)) return true;
    const tried = cause instanceof AggregateError ? cause.errors : [];
    return tried.length > 0 && tried.every(connectCode);
  }, false);
}

interface ClientOptions {
  untimed?: boolean;
  /** Whole Requests, body included, for code other than `send` to see: middleware, a per-call fetch. */
  whole?: boolean;
  middleware?: readonly Middleware[];
}

/** openapi-fetch's options that put `credentials` on every request: the three headers, and `access_token` after any other query. */
function carrying(credentials: QzzCredentials) {
  const token = `access_token=${encodeURIComponent(credentials.accessToken)}`;
  return {
    headers: { groupName: credentials.groupName, accountid: credentials.accountId, 'X-GW-Router-Addr': credentials.routerAddr },
    querySerializer: (query: Record<string, unknown>) => {
      const rest = defaultQuery(query);
      return rest ? `${rest}&${token}` : token;
    },
  };
}

/** Makes openapi-fetch clients (of the spec's paths, or the paths `P`) that share one fetch, base URL and timeout. */
export function transport({ baseUrl, fetch, timeoutMs, secrets = () => [] }: TransportOptions) {
  const given = fetch ?? globalThis.fetch.bind(globalThis);
  const fetchImpl: typeof globalThis.fetch = (input, init) => {
    // A signal aborted before the call: fetch rejects without opening a connection.
    const abortedBefore = (init?.signal ?? (input instanceof Request ? input.signal : undefined))?.aborted === true;
    return given(input, init).catch((error: unknown) => {
      const clean = redactedError(error, secrets());
      throw abortedBefore || failedToConnect(error) ? markNotSent(clean) : clean;
    });
  };

  /** Sends a request; `timed` bounds it by the timeout, else its own signal (from `withTimeout`) does. */
  function send(request: Request, timed: boolean): Promise<Response> {
    const init = request instanceof CarrierRequest ? request.init : undefined;
    if (init) {
      const signal = timed ? bound(init.signal ?? undefined) : init.signal;
      return fetchImpl(request.url, { ...init, signal });
    }
    return timed ? fetchImpl(request, { signal: bound(request.signal) }) : fetchImpl(request);
  }
  const bound = (signal: AbortSignal | undefined) =>
    signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  const timedSend = (request: Request) => send(request, true);
  const untimedSend = (request: Request) => send(request, false);

  /**
   * A client whose requests carry `credentials` (access_token in the query, the rest as headers), or none.
   * `untimed`: its calls are bounded by the caller, with `withTimeout`.
   */
  function client<P extends {} = paths>(
    credentials?: QzzCredentials,
    { untimed = false, whole = false, middleware = [] }: ClientOptions = {},
  ): Client<P> {
    const fetch = untimed ? untimedSend : timedSend;
    const Request = whole || middleware.length ? globalThis.Request : CarrierRequest;
    const made = createClient<P>({ baseUrl, fetch, Request, ...(credentials && carrying(credentials)) });
    made.use(...middleware);
    return made;
  }

  /** Runs `call` with a signal that aborts after the timeout or with `outer`; the timer ends when `call` settles. */
  async function withTimeout<T>(outer: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')), timeoutMs);
    const abort = () => controller.abort(outer?.reason);
    if (outer?.aborted) abort();
    else outer?.addEventListener('abort', abort, { once: true });
    try {
      return await call(controller.signal);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', abort);
    }
  }

  return { client, withTimeout };
}
