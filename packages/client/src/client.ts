// createQzzClient: the typed raw client (openapi-fetch) plus one function per vendor action, by module.
import type { Client, Middleware } from 'openapi-fetch';
import {
  type ActionKind,
  type ActionRunner,
  type AttemptRecord,
  type BodyType,
  type CallOptions,
  jsonText,
  type SpecClient,
  type TextAnswer,
} from './action.js';
import { type CredentialsProvider, type CredentialsSource, type QzzCredentials, toProvider } from './credentials.js';
import { answerSucceeded } from './envelope.js';
import { QzzBusinessError, QzzError, QzzGatewayError, QzzNetworkError, redactor } from './errors.js';
import { callGateway, type GatewayApp, networkError, readFailure } from './gateway.js';
import { type ActionTypes, actionTable, bindActions } from './generated/actions.js';
import type { paths } from './generated/schema.js';
import { answerText, parseJson } from './json.js';
import { type CallLog, callLog, type LoggedCall, type LogLevel, type QzzLogger } from './log.js';
import { type QzzAnswer, QzzPromise } from './promise.js';
import { transport } from './transport.js';

export type { CallOptions } from './action.js';

export const DEFAULT_BASE_URL = 'https://api.kingdee.com';
/** The gateway's errcode when the app secret has rotated: credentials are fetched again and the call retried once. */
export const SECRET_ROTATED = 1030002006;

export interface QzzClientOptions {
  /** Where calls go: the gateway (default) or a mock such as http://localhost:4010. */
  baseUrl?: string;
  /** The four values of a business call: fixed, an async function (cached until `expiresAt`), or a provider. */
  credentials: CredentialsSource;
  /** The app's client id and secret, for the signed `system.*` calls of the gateway itself. */
  gateway?: GatewayApp;
  /** A fetch to use instead of the global one. */
  fetch?: typeof globalThis.fetch;
  /** Milliseconds before a call is abandoned (default 30 000). */
  timeoutMs?: number;
  /** Extra attempts for read-only queries after a network failure, a timeout, 429 or 502–504 (default 2). Never for save, audit or push. */
  retries?: number;
  /** First backoff delay in milliseconds, doubled on each retry (default 250). */
  retryDelayMs?: number;
  /** Where the client says what it did: anything with debug/info/warn/error (`console`, pino). Nothing is logged without one. */
  logger?: QzzLogger;
  /** How much it says (default `warn`: failed calls only); `debug` adds a line per attempt, `info` retries and refreshes. */
  logLevel?: LogLevel;
  /**
   * openapi-fetch middleware (`onRequest`, `onResponse`, `onError`) run on every request the client sends: each
   * attempt of the action functions and `client.call` (retries and refreshes included) and `client.raw`.
   */
  middleware?: Middleware[];
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'off'];

type ActionFunctions = {
  [M in keyof ActionTypes]: {
    [A in keyof ActionTypes[M]]: ActionTypes[M][A] extends { input: infer I; output: infer O }
      ? (input: I, options?: CallOptions) => QzzPromise<O>
      : never;
  };
};

/** How `client.call` sends a route the spec may not have yet. */
export interface RouteCallOptions extends CallOptions {
  /** `text/plain` for a route that takes JSON text in a text/plain body; `application/json` by default. */
  contentType?: BodyType;
  /** `query` makes the call read-only, so it is retried like the spec's queries; anything else is sent once (default). */
  kind?: ActionKind;
}

export type QzzClient = ActionFunctions & {
  /** The typed openapi-fetch client of every path, with credentials and timeout applied. */
  raw: Client<paths>;
  /**
   * POSTs `body` to any business route, with the credentials, envelope unwrapping, typed errors and retry rule
   * of the action functions: the way to call what the spec does not have yet. Resolves to the envelope's `data`.
   */
  call(route: string, body: unknown, options?: RouteCallOptions): QzzPromise<unknown>;
  /** Adds openapi-fetch middleware to every request: action functions, `client.call` and `client.raw`. */
  use(...middleware: Middleware[]): void;
  /** Removes middleware added by `use` or the `middleware` option. */
  eject(...middleware: Middleware[]): void;
};

/** Any business route, as `client.call` sends it: a body in, the vendor's envelope out. */
type RoutePaths = Record<
  string,
  {
    post: {
      parameters: { query?: never; header?: never; path?: never; cookie?: never };
      requestBody: { content: { 'application/json': unknown } };
      responses: { 200: { headers: Record<string, unknown>; content: { 'application/json': unknown } } };
    };
  }
>;

/** The paths of the gateway's own calls, which are signed and so carry no business credentials. */
const signedPaths = new Set<string>();
for (const actions of Object.values(actionTable)) {
  for (const action of Object.values(actions)) if (action.signed) signedPaths.add(action.path);
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/** The longest `Retry-After` the client waits out before a retry; an answer asking for longer is not retried. */
const MAX_RETRY_AFTER_MS = 60_000;
const retryable = (error: unknown) =>
  (error instanceof QzzNetworkError && !error.aborted) ||
  (error instanceof QzzGatewayError && RETRYABLE_STATUS.has(error.status) && (error.retryAfterMs ?? 0) <= MAX_RETRY_AFTER_MS);

/** An answer's `Retry-After` (seconds, or an HTTP date) in milliseconds from now, or undefined when it has none it can read. */
function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^[0-9]+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** `make(credentials)`, made again only when the credentials change (a new token, a rotation) or after `reset`. */
function perCredentials<T>(make: (credentials: QzzCredentials) => T) {
  let last: { credentials: QzzCredentials; value: T } | undefined;
  return {
    get(credentials: QzzCredentials): T {
      if (last?.credentials !== credentials) last = { credentials, value: make(credentials) };
      return last.value;
    },
    reset() {
      last = undefined;
    },
  };
}

/** The vendor's envelope: `data` on success; a typed error otherwise (every quoted part redacted). */
function unwrap(label: string, result: TextAnswer, secrets: ReadonlySet<string>, record: AttemptRecord): unknown {
  const { response } = result;
  const text = answerText(result);
  const answer = parseJson(text);
  record.response = response;
  if (typeof answer?.errorCode === 'string') record.errorCode = answer.errorCode;
  if (answerSucceeded('business', response.status, answer)) return answer?.data;
  const { body, description } = readFailure(text, answer, [...secrets]);
  throw answerFailure(label, response.status, body, description, retryAfterMs(response));
}

/**
 * The typed error of an answer that is not its envelope's success (`answerSucceeded`): a non-2xx
 * status or the gateway's `errcode` is a QzzGatewayError, `success: false` a QzzBusinessError, anything else a
 * QzzGatewayError saying the answer is not the envelope. Exported for tools that judge answers the client did not
 * fetch itself (`check --har` reads them from a recording).
 * @param label the action (or route) the answer belongs to
 * @param body the answer's JSON object, when it is one (redacted by the caller)
 * @param retryAfter what the answer's `Retry-After` asks, in milliseconds (see `retryAfterMs`)
 */
export function answerFailure(
  label: string,
  status: number,
  body: Record<string, unknown> | undefined,
  description?: string,
  retryAfter?: number,
): QzzGatewayError | QzzBusinessError {
  const ok = status >= 200 && status <= 299;
  const errcode = typeof body?.errcode === 'number' ? body.errcode : undefined;
  if (!ok) return new QzzGatewayError(label, status, errcode, description, retryAfter);
  if (body?.success === false) return new QzzBusinessError(label, body);
  if (errcode !== undefined) return new QzzGatewayError(label, status, errcode, description);
  return new QzzGatewayError(label, status, undefined, body ? 'the answer is not the vendor envelope' : 'the answer is not a JSON object');
}

/** How many of the latest secrets (tokens, app signatures) an error is kept clean of. */
const REMEMBERED_SECRETS = 16;
/** How many redacted texts of log lines the client keeps, so that a repeated text is redacted once. */
const CLEANED_TEXTS = 512;

type Transport = ReturnType<typeof transport>;
/** A call as errors and log lines name it: `module.action` (or `POST <route>`), its path, and what it does. */
type CallInfo = Omit<LoggedCall, 'id'>;
/**
 * Sends once per attempt (see `retryingCaller`); `send` records each attempt's answer in `record`. Resolves to
 * the envelope's `data`, or with `.withResponse()` to the data, the last answer and the number of attempts.
 */
type Caller = <Output, Sent extends QzzCredentials | undefined>(
  call: CallInfo,
  signal: AbortSignal | undefined,
  credentialsOf: (label: string) => Promise<Sent>,
  send: (sent: Sent, record: AttemptRecord) => Promise<unknown>,
) => QzzPromise<Output>;
/** Sends one business request, bounded by the timeout, and unwraps the vendor's envelope. */
type BusinessSender = (
  label: string,
  signal: AbortSignal | undefined,
  record: AttemptRecord,
  request: (signal: AbortSignal) => Promise<TextAnswer>,
) => Promise<unknown>;
/** The business clients of one set of credentials: the spec's paths, and any route (`client.call`). */
type BusinessClients = {
  get(credentials: QzzCredentials): { spec: SpecClient; routes: Client<RoutePaths> };
};

/** The client, assembled from the steps below: secrets kept, credentials fetched, calls retried, envelopes unwrapped. */
export function createQzzClient(options: QzzClientOptions): QzzClient {
  const { baseUrl = DEFAULT_BASE_URL, timeoutMs = 30_000, retries = 2, retryDelayMs = 250, gateway, logger, logLevel = 'warn' } = options;
  if (!options.credentials) throw new TypeError('createQzzClient: `credentials` is required (values, an async function or a provider).');
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError('createQzzClient: `timeoutMs` must be a positive number.');
  checkLogging(logger, logLevel);
  const provider = toProvider(options.credentials);
  const secrets = secretMemory(gateway);
  const clients = transport({ baseUrl, fetch: options.fetch, timeoutMs, secrets: () => [...secrets.all] });
  const credentials = credentialSource(provider, secrets);
  const log = callLog(logger, logLevel, secrets.clean);
  const call = retryingCaller(provider, retries, retryDelayMs, log);
  const sendBusiness = businessSender(clients, secrets.all);
  const middleware = sharedMiddleware(options.middleware ?? []);
  // The action functions' clients: the credentials ride on the client, so each call knows which credentials it
  // sent and a rejection invalidates exactly those. Made again when the middleware changes.
  const business = perCredentials((c) => ({
    spec: clients.client(c, { untimed: true, middleware: middleware.list }),
    routes: clients.client<RoutePaths>(c, { untimed: true, middleware: middleware.list }),
  }));
  middleware.onChange(business.reset);
  const run = actionRunner({ baseUrl, gateway, clients, secrets, credentials, call, sendBusiness, business, middleware });
  return {
    ...bindActions(run),
    raw: rawClient(clients, credentials.current, middleware, log),
    call: routeCaller(credentials, call, sendBusiness, business),
    use: middleware.use,
    eject: middleware.eject,
  };
}

/** Refuses a logger without the four methods, and a level that is not one of LOG_LEVELS. */
function checkLogging(logger: QzzLogger | undefined, logLevel: LogLevel) {
  if (!LOG_LEVELS.includes(logLevel))
    throw new TypeError(`createQzzClient: \`logLevel\` is one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(logLevel)}.`);
  if (logger !== undefined && !(['debug', 'info', 'warn', 'error'] as const).every((m) => typeof logger?.[m] === 'function'))
    throw new TypeError('createQzzClient: `logger` needs debug, info, warn and error methods (console and pino have them).');
}

/**
 * The middleware every client of this QzzClient runs, in the order added; the clients made with it are made
 * again (`onChange`) when it changes, since an openapi-fetch client takes its middleware when it is made.
 */
function sharedMiddleware(initial: readonly Middleware[]) {
  const list = [...initial];
  const listeners: Array<() => void> = [];
  const changed = () => {
    for (const listener of listeners) listener();
  };
  return {
    list,
    onChange: (listener: () => void) => void listeners.push(listener),
    use(...added: Middleware[]) {
      list.push(...added);
      changed();
    },
    eject(...removed: Middleware[]) {
      for (const m of removed) {
        const at = list.indexOf(m);
        if (at !== -1) list.splice(at, 1);
      }
      changed();
    },
  };
}
type SharedMiddleware = ReturnType<typeof sharedMiddleware>;

/**
 * Every secret seen so far, so no message or error quotes one. Tokens rotate (every 22 hours at most), so only
 * the newest few are kept: the set stays small however long the client lives. The client secret, added first,
 * always stays.
 */
function secretMemory(gateway: GatewayApp | undefined) {
  const all = new Set<string>(gateway ? [gateway.clientSecret] : []);
  // The redactor of the secrets held, built when first needed after they change (every call remembers its token),
  // and the texts it cleaned since: log lines repeat their actions, routes and codes, so each is redacted once.
  let cleaner: ((text: string) => string) | undefined;
  let cleaned = new Map<string, string>();
  const remember = (secret: string) => {
    if (!all.has(secret)) {
      cleaner = undefined;
      cleaned = new Map();
    }
    all.delete(secret);
    all.add(secret);
    for (const old of all) {
      if (all.size <= REMEMBERED_SECRETS) break;
      if (old !== gateway?.clientSecret) all.delete(old);
    }
  };
  /** `text` with every secret held redacted (see `redactor`). */
  const clean = (text: string) => {
    let out = cleaned.get(text);
    if (out === undefined) {
      cleaner ??= redactor([...all]);
      out = cleaner(text);
      // Bounded: texts an answer chose (an errorCode) may differ every time.
      if (cleaned.size >= CLEANED_TEXTS) cleaned.clear();
      cleaned.set(text, out);
    }
    return out;
  };
  return { all, remember, clean };
}
type SecretMemory = ReturnType<typeof secretMemory>;

/** The credentials of the moment, each access token remembered as a secret; `forCall` fails as the call's error. */
function credentialSource(provider: CredentialsProvider, secrets: SecretMemory) {
  async function current(): Promise<QzzCredentials> {
    const value = await provider.get();
    secrets.remember(value.accessToken);
    return value;
  }
  // Nothing is sent without credentials: a failure here leaves the call's outcome known (not sent).
  const forCall = (label: string): Promise<QzzCredentials> =>
    current().catch((error: unknown) => {
      throw networkError(label, error, [...secrets.all], { sending: false });
    });
  return { current, forCall };
}
type CredentialSource = ReturnType<typeof credentialSource>;

/**
 * Sends once per attempt: queries are retried, a rotated secret gets new credentials once; resolves to `data`
 * (or, with `.withResponse()`, to the data, the last answer and the attempts). Tells `log` of each attempt,
 * retry, refresh and failure.
 */
function retryingCaller(provider: CredentialsProvider, retries: number, retryDelayMs: number, log: CallLog): Caller {
  async function attemptUntilDone<Output, Sent extends QzzCredentials | undefined>(
    call: LoggedCall,
    signal: AbortSignal | undefined,
    credentialsOf: (label: string) => Promise<Sent>,
    send: (sent: Sent, record: AttemptRecord) => Promise<unknown>,
  ): Promise<QzzAnswer<Output>> {
    const allowed = call.kind === 'query' ? retries + 1 : 1;
    let reauthorised = false;
    let attempts = 0;
    try {
      for (let retry = 0; ; retry++) {
        const sent = await credentialsOf(call.label);
        const record: AttemptRecord = {};
        const startedAt = log.timed ? performance.now() : 0;
        attempts++;
        try {
          // The one place the client trusts the wire: `data` is taken to be what the spec says the action answers.
          const data = (await send(sent, record)) as Output;
          log.attempt(call, attempts, startedAt, record);
          // A sender records the answer it unwrapped, so a call that resolved has one.
          return { data, response: record.response as Response, attempts };
        } catch (error) {
          log.attempt(call, attempts, startedAt, record, error);
          // A rotated secret is refused before the vendor sees the call, so any call may be sent again, once.
          // Only the credentials this call sent are dropped: concurrent calls refused alike share one refresh.
          if (error instanceof QzzGatewayError && error.errcode === SECRET_ROTATED && sent && !reauthorised && provider.invalidate) {
            log.refresh(call, attempts, error);
            reauthorised = true;
            provider.invalidate(sent);
            retry--;
            continue;
          }
          if (retry + 1 >= allowed || !retryable(error)) throw error;
          // The backoff, or longer when the answer says how long to wait (a rate limit's Retry-After).
          const backoff = retryDelayMs * 2 ** retry * (0.75 + Math.random() / 2);
          const asked = error instanceof QzzGatewayError ? (error.retryAfterMs ?? 0) : 0;
          const delay = Math.round(Math.max(backoff, asked));
          log.retry(call, attempts, delay, error);
          await sleep(delay, signal).catch(() => {
            // Aborted between attempts: what the last attempt left is what the call left.
            const outcome = error instanceof QzzNetworkError ? error.outcome : 'not-sent';
            throw new QzzNetworkError(call.label, 'the call was aborted', false, undefined, { aborted: true, outcome });
          });
        }
      }
    } catch (error) {
      log.failed(call, attempts, error);
      throw error;
    }
  }
  return (info, signal, credentialsOf, send) => new QzzPromise(attemptUntilDone({ id: log.next(), ...info }, signal, credentialsOf, send));
}

function businessSender(clients: Transport, secrets: ReadonlySet<string>): BusinessSender {
  return (label, signal, record, request) =>
    clients.withTimeout(signal, request).then(
      (result) => unwrap(label, result, secrets, record),
      (error: unknown) => {
        throw networkError(label, error, [...secrets]);
      },
    );
}

/** How the generated action functions send: business actions with credentials, the gateway's own signed. */
function actionRunner(parts: {
  baseUrl: string;
  gateway: GatewayApp | undefined;
  clients: Transport;
  secrets: SecretMemory;
  credentials: CredentialSource;
  call: Caller;
  sendBusiness: BusinessSender;
  business: BusinessClients;
  middleware: SharedMiddleware;
}): ActionRunner {
  const { baseUrl, gateway, clients, secrets, credentials, call, sendBusiness, business, middleware } = parts;
  let unsigned = clients.client(undefined, { middleware: middleware.list });
  middleware.onChange(() => {
    unsigned = clients.client(undefined, { middleware: middleware.list });
  });
  const noCredentials = async () => undefined;
  return {
    business: (label, action, input, { signal } = {}) =>
      call({ label, route: `${action.serverPrefix ?? ''}${action.path}`, kind: action.kind }, signal, credentials.forCall, (sent, record) =>
        sendBusiness(label, signal, record, (bounded) =>
          action.send(business.get(sent).spec, input, {
            parseAs: 'text',
            signal: bounded,
            ...(action.serverPrefix ? { baseUrl: `${baseUrl.replace(/\/$/, '')}${action.serverPrefix}` } : {}),
          }),
        ),
      ),
    signed: (label, action, query, { signal } = {}) => {
      if (!gateway)
        return new QzzPromise(
          Promise.reject(
            new QzzError(
              `${label} is a signed call of the gateway itself: pass \`gateway: { clientId, clientSecret }\` to createQzzClient.`,
              label,
            ),
          ),
        );
      // A caller's own app_signature is as good as a password for a token: it is kept out of messages too.
      if (typeof query.app_signature === 'string') secrets.remember(query.app_signature);
      return call({ label, route: action.path, kind: action.kind }, signal, noCredentials, (_none, record) =>
        callGateway(unsigned, gateway, action, query, { label, secrets: [...secrets.all], signal, record }),
      );
    },
  };
}

/** `client.call`: POSTs a body to any business route, with the action functions' credentials, errors and retries. */
function routeCaller(credentials: CredentialSource, call: Caller, sendBusiness: BusinessSender, business: BusinessClients) {
  return (route: string, body: unknown, options: RouteCallOptions = {}): QzzPromise<unknown> => {
    if (typeof route !== 'string' || !/^\/[^/?#]/.test(route) || /[?#]/.test(route)) {
      return new QzzPromise(
        Promise.reject(
          new TypeError(
            `client.call: the route must be a path such as "/mxoc_pom/route" (no host, query or fragment), not ${JSON.stringify(route)}.`,
          ),
        ),
      );
    }
    const { contentType = 'application/json', kind = 'operate', signal } = options;
    const label = `POST ${route}`;
    return call({ label, route, kind }, signal, credentials.forCall, (sent, record) =>
      sendBusiness(label, signal, record, (bounded) =>
        business
          .get(sent)
          .routes.POST(route, { ...(contentType === 'text/plain' ? jsonText(body) : { body }), parseAs: 'text', signal: bounded }),
      ),
    );
  };
}

/**
 * The raw client: business paths carry the credentials of the moment; the gateway's signed paths none. It runs
 * the client's middleware, then its own (`raw.use`), and logs each request as the action functions log attempts.
 */
function rawClient(clients: Transport, credentials: () => Promise<QzzCredentials>, shared: SharedMiddleware, log: CallLog): Client<paths> {
  const own: Middleware[] = [];
  // Remade when the middleware changes. A call no other code sees (no middleware, no fetch of its own) goes
  // through a client that sends lighter Requests (see transport.ts).
  const make = (whole: boolean) => {
    const middleware = [...shared.list, ...own];
    return {
      plain: clients.client(undefined, { whole, middleware }),
      signedIn: perCredentials((c) => clients.client(c, { whole, middleware })),
    };
  };
  let lean = make(false);
  let whole = make(true);
  const pick = async (path: string, init: { fetch?: unknown } | undefined): Promise<SpecClient> => {
    const set = shared.list.length || own.length || init?.fetch ? whole : lean;
    return signedPaths.has(path) ? set.plain : set.signedIn.get(await credentials());
  };
  const remake = () => {
    lean = make(false);
    whole = make(true);
  };
  shared.onChange(remake);
  /** One request of the raw client, logged as one attempt (it is never retried). */
  const logged = async <R>(method: string, path: string, send: () => Promise<R>): Promise<R> => {
    const call = { id: log.next(), label: `${method} ${path}`, route: path, kind: 'operate' as const };
    const record: AttemptRecord = {};
    const startedAt = log.timed ? performance.now() : 0;
    try {
      const result = await send();
      const { response, data } = result as { response?: Response; data?: unknown };
      record.response = response;
      const errorCode = data !== null && typeof data === 'object' ? Reflect.get(data, 'errorCode') : undefined;
      if (typeof errorCode === 'string') record.errorCode = errorCode;
      log.attempt(call, 1, startedAt, record);
      return result;
    } catch (error) {
      log.attempt(call, 1, startedAt, record, error);
      log.failed(call, 1, error);
      throw error;
    }
  };
  return {
    GET: (url, ...init) => logged('GET', url, async () => (await pick(url, init[0])).GET(url, ...init)),
    PUT: (url, ...init) => logged('PUT', url, async () => (await pick(url, init[0])).PUT(url, ...init)),
    POST: (url, ...init) => logged('POST', url, async () => (await pick(url, init[0])).POST(url, ...init)),
    DELETE: (url, ...init) => logged('DELETE', url, async () => (await pick(url, init[0])).DELETE(url, ...init)),
    OPTIONS: (url, ...init) => logged('OPTIONS', url, async () => (await pick(url, init[0])).OPTIONS(url, ...init)),
    HEAD: (url, ...init) => logged('HEAD', url, async () => (await pick(url, init[0])).HEAD(url, ...init)),
    PATCH: (url, ...init) => logged('PATCH', url, async () => (await pick(url, init[0])).PATCH(url, ...init)),
    TRACE: (url, ...init) => logged('TRACE', url, async () => (await pick(url, init[0])).TRACE(url, ...init)),
    request: (method, url, ...init) =>
      logged(String(method).toUpperCase(), url, async () => (await pick(url, init[0])).request(method, url, ...init)),
    use(...added) {
      own.push(...added);
      remake();
    },
    eject(...removed) {
      for (const m of removed) {
        const at = own.indexOf(m);
        if (at !== -1) own.splice(at, 1);
      }
      remake();
    },
  };
}
