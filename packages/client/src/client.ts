// createQzzClient: the typed raw client (openapi-fetch) plus one function per vendor action, by module.
import type { Client, Middleware } from 'openapi-fetch';
import {
  type ActionKind,
  type ActionRunner,
  type BodyType,
  type CallOptions,
  jsonText,
  type SpecClient,
  type TextAnswer,
} from './action.js';
import { type CredentialsProvider, type CredentialsSource, type QzzCredentials, toProvider } from './credentials.js';
import { QzzBusinessError, QzzError, QzzGatewayError, QzzNetworkError } from './errors.js';
import { callGateway, type GatewayApp, networkError, readFailure } from './gateway.js';
import { type ActionTypes, actionTable, bindActions } from './generated/actions.js';
import type { paths } from './generated/schema.js';
import { answerText, parseJson } from './json.js';
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
}

type ActionFunctions = {
  [M in keyof ActionTypes]: {
    [A in keyof ActionTypes[M]]: ActionTypes[M][A] extends { input: infer I; output: infer O }
      ? (input: I, options?: CallOptions) => Promise<O>
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
  call(route: string, body: unknown, options?: RouteCallOptions): Promise<unknown>;
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

/** `make(credentials)`, made again only when the credentials change (a new token, a rotation). */
function perCredentials<T>(make: (credentials: QzzCredentials) => T) {
  let last: { credentials: QzzCredentials; value: T } | undefined;
  return {
    get(credentials: QzzCredentials): T {
      if (last?.credentials !== credentials) last = { credentials, value: make(credentials) };
      return last.value;
    },
  };
}

/** The vendor's envelope: `data` on success; a typed error otherwise (every quoted part redacted). */
function unwrap(label: string, result: TextAnswer, secrets: ReadonlySet<string>): unknown {
  const { response } = result;
  const text = answerText(result);
  const answer = parseJson(text);
  if (response.ok && answer?.success === true) return answer.data;
  const { body, description } = readFailure(text, answer, [...secrets]);
  if (!response.ok)
    throw new QzzGatewayError(
      label,
      response.status,
      typeof body?.errcode === 'number' ? body.errcode : undefined,
      description,
      retryAfterMs(response),
    );
  if (body?.success === false) throw new QzzBusinessError(label, body);
  if (typeof body?.errcode === 'number') throw new QzzGatewayError(label, response.status, body.errcode, description);
  throw new QzzGatewayError(
    label,
    response.status,
    undefined,
    body ? 'the answer is not the vendor envelope' : 'the answer is not a JSON object',
  );
}

/** How many of the latest secrets (tokens, app signatures) an error is kept clean of. */
const REMEMBERED_SECRETS = 16;

type Transport = ReturnType<typeof transport>;
/** Sends once per attempt (see `retryingCaller`) and resolves to the envelope's `data`. */
type Caller = <Output, Sent extends QzzCredentials | undefined>(
  label: string,
  kind: ActionKind,
  signal: AbortSignal | undefined,
  credentialsOf: (label: string) => Promise<Sent>,
  send: (sent: Sent) => Promise<unknown>,
) => Promise<Output>;
/** Sends one business request, bounded by the timeout, and unwraps the vendor's envelope. */
type BusinessSender = (
  label: string,
  signal: AbortSignal | undefined,
  request: (signal: AbortSignal) => Promise<TextAnswer>,
) => Promise<unknown>;
/** The business clients of one set of credentials: the spec's paths, and any route (`client.call`). */
type BusinessClients = { get(credentials: QzzCredentials): { spec: SpecClient; routes: Client<RoutePaths> } };

/** The client, assembled from the steps below: secrets kept, credentials fetched, calls retried, envelopes unwrapped. */
export function createQzzClient(options: QzzClientOptions): QzzClient {
  const { baseUrl = DEFAULT_BASE_URL, timeoutMs = 30_000, retries = 2, retryDelayMs = 250, gateway } = options;
  if (!options.credentials) throw new TypeError('createQzzClient: `credentials` is required (values, an async function or a provider).');
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError('createQzzClient: `timeoutMs` must be a positive number.');
  const provider = toProvider(options.credentials);
  const secrets = secretMemory(gateway);
  const clients = transport({ baseUrl, fetch: options.fetch, timeoutMs, secrets: () => [...secrets.all] });
  const credentials = credentialSource(provider, secrets);
  const call = retryingCaller(provider, retries, retryDelayMs);
  const sendBusiness = businessSender(clients, secrets.all);
  // The action functions' clients: the credentials ride on the client, so each call knows which credentials it
  // sent and a rejection invalidates exactly those.
  const business: BusinessClients = perCredentials((c) => ({
    spec: clients.client(c, { untimed: true }),
    routes: clients.client<RoutePaths>(c, { untimed: true }),
  }));
  const run = actionRunner({ baseUrl, gateway, clients, secrets, credentials, call, sendBusiness, business });
  return {
    ...bindActions(run),
    raw: rawClient(clients, credentials.current),
    call: routeCaller(credentials, call, sendBusiness, business),
  };
}

/**
 * Every secret seen so far, so no message or error quotes one. Tokens rotate (every 22 hours at most), so only
 * the newest few are kept: the set stays small however long the client lives. The client secret, added first,
 * always stays.
 */
function secretMemory(gateway: GatewayApp | undefined) {
  const all = new Set<string>(gateway ? [gateway.clientSecret] : []);
  const remember = (secret: string) => {
    all.delete(secret);
    all.add(secret);
    for (const old of all) {
      if (all.size <= REMEMBERED_SECRETS) break;
      if (old !== gateway?.clientSecret) all.delete(old);
    }
  };
  return { all, remember };
}
type SecretMemory = ReturnType<typeof secretMemory>;

/** The credentials of the moment, each access token remembered as a secret; `forCall` fails as the call's error. */
function credentialSource(provider: CredentialsProvider, secrets: SecretMemory) {
  async function current(): Promise<QzzCredentials> {
    const value = await provider.get();
    secrets.remember(value.accessToken);
    return value;
  }
  const forCall = (label: string): Promise<QzzCredentials> =>
    current().catch((error: unknown) => {
      throw networkError(label, error, [...secrets.all]);
    });
  return { current, forCall };
}
type CredentialSource = ReturnType<typeof credentialSource>;

/** Sends once per attempt: queries are retried, a rotated secret gets new credentials once; resolves to `data`. */
function retryingCaller(provider: CredentialsProvider, retries: number, retryDelayMs: number): Caller {
  return async function call<Output, Sent extends QzzCredentials | undefined>(
    label: string,
    kind: ActionKind,
    signal: AbortSignal | undefined,
    credentialsOf: (label: string) => Promise<Sent>,
    send: (sent: Sent) => Promise<unknown>,
  ): Promise<Output> {
    const attempts = kind === 'query' ? retries + 1 : 1;
    let reauthorised = false;
    for (let attempt = 0; ; attempt++) {
      const sent = await credentialsOf(label);
      try {
        // The one place the client trusts the wire: `data` is taken to be what the spec says the action answers.
        return (await send(sent)) as Output;
      } catch (error) {
        // A rotated secret is refused before the vendor sees the call, so any call may be sent again, once.
        // Only the credentials this call sent are dropped: concurrent calls refused alike share one refresh.
        if (error instanceof QzzGatewayError && error.errcode === SECRET_ROTATED && sent && !reauthorised && provider.invalidate) {
          reauthorised = true;
          provider.invalidate(sent);
          attempt--;
          continue;
        }
        if (attempt + 1 >= attempts || !retryable(error)) throw error;
        // The backoff, or longer when the answer says how long to wait (a rate limit's Retry-After).
        const backoff = retryDelayMs * 2 ** attempt * (0.75 + Math.random() / 2);
        const asked = error instanceof QzzGatewayError ? (error.retryAfterMs ?? 0) : 0;
        await sleep(Math.max(backoff, asked), signal).catch(() => {
          throw new QzzNetworkError(label, 'the call was aborted', false, undefined, { aborted: true });
        });
      }
    }
  };
}

function businessSender(clients: Transport, secrets: ReadonlySet<string>): BusinessSender {
  return (label, signal, request) =>
    clients.withTimeout(signal, request).then(
      (result) => unwrap(label, result, secrets),
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
}): ActionRunner {
  const { baseUrl, gateway, clients, secrets, credentials, call, sendBusiness, business } = parts;
  const unsigned = clients.client();
  const noCredentials = async () => undefined;
  return {
    business: (label, action, input, { signal } = {}) =>
      call(label, action.kind, signal, credentials.forCall, (sent) =>
        sendBusiness(label, signal, (bounded) =>
          action.send(business.get(sent).spec, input, {
            parseAs: 'text',
            signal: bounded,
            ...(action.serverPrefix ? { baseUrl: `${baseUrl.replace(/\/$/, '')}${action.serverPrefix}` } : {}),
          }),
        ),
      ),
    signed: (label, action, query, { signal } = {}) => {
      if (!gateway)
        return Promise.reject(
          new QzzError(
            `${label} is a signed call of the gateway itself: pass \`gateway: { clientId, clientSecret }\` to createQzzClient.`,
            label,
          ),
        );
      // A caller's own app_signature is as good as a password for a token: it is kept out of messages too.
      if (typeof query.app_signature === 'string') secrets.remember(query.app_signature);
      return call(label, action.kind, signal, noCredentials, () =>
        callGateway(unsigned, gateway, action, query, { label, secrets: [...secrets.all], signal }),
      );
    },
  };
}

/** `client.call`: POSTs a body to any business route, with the action functions' credentials, errors and retries. */
function routeCaller(credentials: CredentialSource, call: Caller, sendBusiness: BusinessSender, business: BusinessClients) {
  return (route: string, body: unknown, options: RouteCallOptions = {}): Promise<unknown> => {
    if (typeof route !== 'string' || !/^\/[^/?#]/.test(route) || /[?#]/.test(route)) {
      return Promise.reject(
        new TypeError(
          `client.call: the route must be a path such as "/mxoc_pom/route" (no host, query or fragment), not ${JSON.stringify(route)}.`,
        ),
      );
    }
    const { contentType = 'application/json', kind = 'operate', signal } = options;
    const label = `POST ${route}`;
    return call(label, kind, signal, credentials.forCall, (sent) =>
      sendBusiness(label, signal, (bounded) =>
        business
          .get(sent)
          .routes.POST(route, { ...(contentType === 'text/plain' ? jsonText(body) : { body }), parseAs: 'text', signal: bounded }),
      ),
    );
  };
}

/** The raw client: business paths carry the credentials of the moment; the gateway's signed paths none. */
function rawClient(clients: Transport, credentials: () => Promise<QzzCredentials>): Client<paths> {
  const middleware: Middleware[] = [];
  // Remade when the middleware changes. A call no other code sees (no middleware, no fetch of its own) goes
  // through a client that sends lighter Requests (see transport.ts).
  const make = (whole: boolean) => ({
    plain: clients.client(undefined, { whole, middleware }),
    signedIn: perCredentials((c) => clients.client(c, { whole, middleware })),
  });
  let lean = make(false);
  let whole = make(true);
  const pick = async (path: string, init: { fetch?: unknown } | undefined): Promise<SpecClient> => {
    const set = middleware.length || init?.fetch ? whole : lean;
    return signedPaths.has(path) ? set.plain : set.signedIn.get(await credentials());
  };
  const remake = () => {
    lean = make(false);
    whole = make(true);
  };
  return {
    GET: async (url, ...init) => (await pick(url, init[0])).GET(url, ...init),
    PUT: async (url, ...init) => (await pick(url, init[0])).PUT(url, ...init),
    POST: async (url, ...init) => (await pick(url, init[0])).POST(url, ...init),
    DELETE: async (url, ...init) => (await pick(url, init[0])).DELETE(url, ...init),
    OPTIONS: async (url, ...init) => (await pick(url, init[0])).OPTIONS(url, ...init),
    HEAD: async (url, ...init) => (await pick(url, init[0])).HEAD(url, ...init),
    PATCH: async (url, ...init) => (await pick(url, init[0])).PATCH(url, ...init),
    TRACE: async (url, ...init) => (await pick(url, init[0])).TRACE(url, ...init),
    request: async (method, url, ...init) => (await pick(url, init[0])).request(method, url, ...init),
    use(...added) {
      middleware.push(...added);
      remake();
    },
    eject(...removed) {
      for (const m of removed) {
        const at = middleware.indexOf(m);
        if (at !== -1) middleware.splice(at, 1);
      }
      remake();
    },
  };
}
