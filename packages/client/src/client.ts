// createQzzClient: the typed raw client (openapi-fetch) plus one function per vendor action, by module.
import type { Client, Middleware } from 'openapi-fetch';
import { toProvider, type CredentialsProvider, type CredentialsSource, type QzzCredentials } from './credentials.js';
import { QzzBusinessError, QzzError, QzzGatewayError, QzzNetworkError } from './errors.js';
import { answerText, callGateway, networkError, parseJson, readFailure, type GatewayApp } from './gateway.js';
import { actionTable, type ActionTypes } from './generated/actions.js';
import type { paths } from './generated/schema.js';
import { timedClient } from './transport.js';

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

export interface CallOptions {
  /** Aborts the call (and its retries). */
  signal?: AbortSignal;
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
  contentType?: 'application/json' | 'text/plain';
  /** `query` makes the call read-only, so it is retried like the spec's queries; anything else is sent once (default). */
  kind?: 'query' | 'save' | 'audit' | 'save-audit' | 'push' | 'operate';
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

interface ActionSpec {
  method: string;
  path: string;
  /** What the operation's own server adds in front of `path` (e.g. `/mxocminimes`), if it has one. */
  serverPrefix?: string;
  contentType?: string;
  kind: string;
  select: Record<string, unknown>;
  signed: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `input` with the action's selecting values filled in, deeply. */
function withSelect(select: Record<string, unknown>, input: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = isObject(input) ? { ...input } : {};
  for (const [key, value] of Object.entries(select)) out[key] = isObject(value) ? withSelect(value, out[key]) : value;
  return out;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const retryable = (error: unknown) =>
  (error instanceof QzzNetworkError && !/aborted/.test(error.message)) || (error instanceof QzzGatewayError && RETRYABLE_STATUS.has(error.status));

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

/** Adds the four gateway values to business calls; the gateway's own calls are signed instead. */
function credentialsMiddleware(provider: CredentialsProvider, secrets: Set<string>): Middleware {
  return {
    async onRequest({ request, schemaPath }) {
      if (schemaPath.startsWith('/jdyconnector/')) return undefined;
      const credentials = await provider.get();
      secrets.add(credentials.accessToken);
      const url = new URL(request.url);
      url.searchParams.set('access_token', credentials.accessToken);
      const headers = new Headers(request.headers);
      headers.set('groupName', credentials.groupName);
      headers.set('accountid', credentials.accountId);
      headers.set('X-GW-Router-Addr', credentials.routerAddr);
      // Changing the URL takes a new Request (openapi-fetch middleware cannot edit one in place). The body is
      // read out rather than streamed across: browsers other than Chromium cannot send a streamed body.
      const body = request.body ? await request.arrayBuffer() : undefined;
      return new Request(url, { method: request.method, headers, body, signal: request.signal });
    },
  };
}

/** The vendor's envelope: `data` on success; a typed error otherwise (every quoted part redacted). */
function unwrap(label: string, response: Response, text: string, secrets: string[]): unknown {
  const answer = parseJson(text);
  if (response.ok && answer?.success === true) return answer.data;
  const { body, description } = readFailure(text, answer, secrets);
  if (!response.ok) throw new QzzGatewayError(label, response.status, typeof body?.errcode === 'number' ? body.errcode : undefined, description);
  if (body?.success === false) throw new QzzBusinessError(label, body);
  if (typeof body?.errcode === 'number') throw new QzzGatewayError(label, response.status, body.errcode, description);
  throw new QzzGatewayError(label, response.status, undefined, body ? 'the answer is not the vendor envelope' : 'the answer is not a JSON object');
}

export function createQzzClient(options: QzzClientOptions): QzzClient {
  const { baseUrl = DEFAULT_BASE_URL, timeoutMs = 30_000, retries = 2, retryDelayMs = 250, gateway } = options;
  if (!options.credentials) throw new TypeError('createQzzClient: `credentials` is required (values, an async function or a provider).');
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError('createQzzClient: `timeoutMs` must be a positive number.');
  const provider = toProvider(options.credentials);
  // Every secret seen so far, so no message or error quotes one.
  const secrets = new Set<string>(gateway ? [gateway.clientSecret] : []);

  const raw = timedClient({ baseUrl, fetch: options.fetch, timeoutMs });
  raw.use(credentialsMiddleware(provider, secrets));
  // Action functions add the credentials per call (no middleware rebuilding the Request), so each call knows
  // which credentials it sent and a rejection invalidates exactly those.
  const transport = timedClient({ baseUrl, fetch: options.fetch, timeoutMs });

  async function credentialsFor(label: string): Promise<QzzCredentials> {
    try {
      const credentials = await provider.get();
      secrets.add(credentials.accessToken);
      return credentials;
    } catch (error) {
      throw networkError(label, error, [...secrets]);
    }
  }

  async function send(label: string, spec: ActionSpec, input: unknown, credentials: QzzCredentials | undefined, signal?: AbortSignal): Promise<unknown> {
    if (spec.signed || !credentials) {
      if (!gateway) throw new QzzError(`${label} is a signed call of the gateway itself: pass \`gateway: { clientId, clientSecret }\` to createQzzClient.`, label);
      const query = input as Record<string, string>;
      // A caller's own app_signature is as good as a password for a token: it is kept out of messages too.
      if (typeof query?.app_signature === 'string') secrets.add(query.app_signature);
      return callGateway(transport, gateway, { label, method: spec.method as 'get' | 'post', path: spec.path as never, query, secrets: [...secrets] });
    }
    const body = Object.keys(spec.select).length ? withSelect(spec.select, input) : input;
    const text = spec.contentType === 'text/plain';
    let result: { response: Response; data?: unknown; error?: unknown };
    try {
      result = (await transport.POST(spec.path as never, {
        body,
        bodySerializer: (value: unknown) => JSON.stringify(value),
        params: {
          query: { access_token: credentials.accessToken },
          header: { groupName: credentials.groupName, accountid: credentials.accountId, 'X-GW-Router-Addr': credentials.routerAddr },
        },
        headers: { 'Content-Type': text ? 'text/plain' : 'application/json' },
        parseAs: 'text',
        signal,
        ...(spec.serverPrefix ? { baseUrl: `${baseUrl.replace(/\/$/, '')}${spec.serverPrefix}` } : {}),
      } as never)) as typeof result;
    } catch (error) {
      throw networkError(label, error, [...secrets]);
    }
    return unwrap(label, result.response, answerText(result), [...secrets]);
  }

  async function call(label: string, spec: ActionSpec, input: unknown, { signal }: CallOptions = {}): Promise<unknown> {
    const attempts = spec.kind === 'query' ? retries + 1 : 1;
    let reauthorised = false;
    for (let attempt = 0; ; attempt++) {
      const credentials = spec.signed ? undefined : await credentialsFor(label);
      try {
        return await send(label, spec, input, credentials, signal);
      } catch (error) {
        // A rotated secret is refused before the vendor sees the call, so any call may be sent again, once.
        // Only the credentials this call sent are dropped: concurrent calls refused alike share one refresh.
        if (error instanceof QzzGatewayError && error.errcode === SECRET_ROTATED && credentials && !reauthorised && provider.invalidate) {
          reauthorised = true;
          provider.invalidate(credentials);
          attempt--;
          continue;
        }
        if (attempt + 1 >= attempts || !retryable(error)) throw error;
        await sleep(retryDelayMs * 2 ** attempt * (0.75 + Math.random() / 2), signal).catch(() => {
          throw new QzzNetworkError(label, 'the call was aborted', false);
        });
      }
    }
  }

  function callRoute(route: string, body: unknown, options: RouteCallOptions = {}): Promise<unknown> {
    if (typeof route !== 'string' || !/^\/[^/?#]/.test(route) || /[?#]/.test(route)) {
      return Promise.reject(new TypeError(`client.call: the route must be a path such as "/mxoc_pom/route" (no host, query or fragment), not ${JSON.stringify(route)}.`));
    }
    const { contentType = 'application/json', kind = 'operate' } = options;
    return call(`POST ${route}`, { method: 'post', path: route, contentType, kind, select: {}, signed: false }, body, options);
  }

  const client: Record<string, unknown> = { raw, call: callRoute };
  for (const [module, actions] of Object.entries(actionTable)) {
    const functions: Record<string, (input: unknown, options?: CallOptions) => Promise<unknown>> = {};
    for (const [name, spec] of Object.entries(actions as Record<string, ActionSpec>)) {
      functions[name] = (input, callOptions) => call(`${module}.${name}`, spec, input, callOptions);
    }
    client[module] = Object.freeze(functions);
  }
  return client as QzzClient;
}
