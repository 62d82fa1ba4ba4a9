// The mock without a transport: a request (method, target, headers, and its body when asked for) in, an answer
// (status, headers, body) out. The HTTP server (server.js) and the in-process fetch (fetch.js) both answer
// through it, so they validate, pick actions, keep sandbox state and refuse alike.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { KIT_HEADERS, parseMediaType, parseTarget, problemAnswer, Refusal } from '@qzz/http';
import { bundleReferenceProblems } from '@qzz/spec/json-refs';
import { createLogger } from '@stoplight/prism-core';
import { createInstance, getHttpOperationsFromSpec } from '@stoplight/prism-http';
import { buildActionOperations, candidateActions } from './actions.js';
import { jsonAnswer } from './answer.js';
import { createFaults } from './faults/index.js';
import { createSandbox } from './sandbox/index.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A request as the core reads it. `method` as sent (upper case for the standard ones); `target` the request
 * target (`/path?query`); `headers` with lower-case names, repeated values joined with `, `; `readBody` gives the
 * body's bytes once the checks that need no body have passed (a transport refuses a body over MAX_BODY_BYTES
 * there with a 413 Refusal).
 * @typedef {{ method: string, target: string, headers: Record<string, string>, readBody: () => Promise<Uint8Array> }} MockRequest
 */
/** @typedef {import('./answer.js').MockAnswer} MockAnswer */
/**
 * What starts a mock, over HTTP or in-process.
 * `spec`: the bundle to serve (default `@qzz/spec/openapi.json`); `log`: one line per answered action and per bug;
 * `sandbox`: keep what clients save, per account set (`state`: a state file; `seed`: a seed file; the limits:
 * `maxAccountSets`, `maxBillsPerAccountSet`, `maxBytesPerAccountSet`, defaults in src/sandbox/store.js).
 * `rateLimit` (`'<n>/<s|min>'`, per account set) and `faults` (a rule file, or `{ faults: [...] }`): the
 * gateway's failures on demand (src/faults).
 * @typedef {{ spec?: string, log?: (line: string) => void, sandbox?: boolean, state?: string, seed?: string, maxAccountSets?: number, maxBillsPerAccountSet?: number, maxBytesPerAccountSet?: number, rateLimit?: string, faults?: string | { faults: unknown[] } }} MockOptions
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text: UTF-8, or a 400 (a replaced byte would change what the client sent). */
function decodeBody(bytes) {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new Refusal(400, 'The body is not valid UTF-8.');
  }
}

/**
 * The Content-Type a route accepts, checked before the body is read: one media type the operation declares,
 * in UTF-8 (a 415 says which ones it takes otherwise).
 */
function checkContentType(header, accepted) {
  const declared = accepted.join(' or ');
  if (header === undefined) throw new Refusal(415, `The request has a body but no Content-Type: this route takes ${declared}.`);
  const media = parseMediaType(header);
  if (!media) throw new Refusal(415, `The Content-Type is not one media type (type/subtype; name=value): this route takes ${declared}.`);
  if (!accepted.includes(media.essence)) throw new Refusal(415, `This route takes ${declared}, not ${media.essence}.`);
  const charset = media.params.charset?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new Refusal(415, `The body must be UTF-8, not ${media.params.charset}.`);
}

/** What Prism's status-less fallback errors mean, as the mock answers them. */
const PRISM_REFUSALS = {
  NOT_FOUND: { status: 404, detail: 'The action has no response or example that the Prefer header asks for.' },
  NOT_ACCEPTABLE: {
    status: 406,
    detail: 'The answer the Prefer header asks for is not available in a media type the Accept header allows.',
  },
};

/**
 * An Accept header the mock can negotiate with, written the one way Prism's parser reads: a comma-separated
 * list of media ranges (`type/subtype`, `type/*`, `*\/*`, with parameters such as `q`). Anything else is
 * refused here with a reason, before Prism trips on it.
 * @param {string | undefined} header
 * @returns {string | undefined}
 */
function normaliseAccept(header) {
  if (header === undefined || header.trim() === '') return undefined;
  const parsed = header
    .split(',')
    .filter((range) => range.trim() !== '')
    .map(parseMediaType);
  const ranges = parsed.filter((range) => range !== undefined);
  if (ranges.length === 0 || ranges.length < parsed.length) {
    throw new Refusal(400, 'The Accept header is not a list of media ranges (type/subtype; q=…): send application/json or */*.');
  }
  const quote = (value) => (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value) ? value : JSON.stringify(value));
  return ranges.map(({ essence, params }) => [essence, ...Object.entries(params).map(([k, v]) => `${k}=${quote(v)}`)].join(';')).join(', ');
}

/**
 * `Prefer: code=200, example=businessFailure, dynamic=true` → Prism's mock options.
 * @param {string | undefined} header
 * @returns {Partial<import('@stoplight/prism-http').IHttpOperationConfig>}
 */
export function parsePrefer(header) {
  /** @type {Partial<import('@stoplight/prism-http').IHttpOperationConfig>} */
  const prefer = {};
  for (const part of String(header ?? '').split(/[,;]/)) {
    const [key, value] = part.split('=').map((s) => s?.trim());
    if (key === 'code' && /^[1-5][0-9]{2}$/.test(value)) prefer.code = Number(value);
    else if (key === 'example' && value) prefer.exampleKey = value.replace(/^"|"$/g, '');
    else if (key === 'dynamic' && value) prefer.dynamic = value === 'true';
  }
  return prefer;
}

/** The body as Prism should see it: JSON parsed (a text/plain endpoint's JSON text too). */
function parseBody(text, textBody) {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Refusal(
      textBody ? 422 : 400,
      textBody
        ? `This endpoint takes JSON text in a text/plain body, and the body is not JSON: ${error.message}`
        : `The body is not valid JSON: ${error.message}`,
    );
  }
}

/**
 * The apiKey values an operation's security asks for, as `{ in, name }` (one list per alternative).
 * @returns {{ in: 'query' | 'header', name: string }[][]}
 */
function requiredKeys(doc, operation) {
  const schemes = doc.components?.securitySchemes ?? {};
  return (operation.security ?? doc.security ?? []).map((requirement) =>
    Object.keys(requirement).map((scheme) => ({ in: schemes[scheme].in, name: schemes[scheme].name })),
  );
}

/** What a request lacks of its credentials: nothing when one alternative is complete, else the first's gaps. */
function missingCredentials(alternatives, query, headers) {
  const gaps = alternatives.map((keys) =>
    keys.filter((key) => !(key.in === 'query' ? query[key.name] : headers[key.name.toLowerCase()])).map((key) => key.name),
  );
  return gaps.find((gap) => gap.length === 0) ?? gaps[0] ?? [];
}

/** The mock's own answer to missing credentials (the gateway's is undocumented): which values are missing. */
const missingCredentialsAnswer = (missing) =>
  jsonAnswer(401, {
    errcode: 401,
    description: `Missing credentials: ${missing.join(', ')}. (This is the mock's own answer; the gateway's answer to missing credentials is not documented.)`,
    missing,
  });

/**
 * The answer to a request the core refused or failed on, as the HTTP server's guard answers it (see
 * `guardedServer` in @qzz/http): a Refusal's status and reason, anything else logged and answered 500.
 * @param {unknown} error
 * @param {(line: string) => void} log
 * @returns {MockAnswer}
 */
export function errorAnswer(error, log) {
  if (error instanceof Refusal) return problemAnswer({ status: error.status, detail: error.message }, error.headers);
  log(`internal error: ${error instanceof Error ? error.stack : error}`);
  return problemAnswer({ status: 500, detail: 'The server failed: this is a bug in @qzz/mock.' });
}

/**
 * Loads the bundle, Prism's operations per action and, when asked, the sandbox. Resolves with `answer(request)`
 * (a MockAnswer, or a Refusal thrown) and `close()` (resolves once the sandbox's changes are on disk).
 * @param {MockOptions} [options]
 */
export async function createMockCore({
  spec,
  log = () => {},
  sandbox = false,
  state,
  seed,
  maxAccountSets,
  maxBillsPerAccountSet,
  maxBytesPerAccountSet,
  rateLimit,
  faults: faultRules,
} = {}) {
  const specPath = spec ?? fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
  const doc = JSON.parse(await readFile(specPath, 'utf8'));
  // Prism follows every `$ref` it meets, an example's value included, and would answer what a file or URL holds.
  const outside = bundleReferenceProblems(doc);
  if (outside.length) throw new Error(`${specPath} refers outside itself, which the mock will not follow: ${outside.join('; ')}`);
  const prismOperations = await getHttpOperationsFromSpec(specPath);
  const routes = buildActionOperations(doc, prismOperations);
  for (const route of routes.values()) {
    const operation = doc.paths[route.path][route.method];
    route.credentials = requiredKeys(doc, operation);
    route.mediaTypes = Object.keys(operation.requestBody?.content ?? {});
  }
  if (!sandbox && (state || seed))
    throw new Error('A state file and a seed file are for the sandbox: start it with sandbox (--sandbox) too.');
  const faults = await createFaults({ doc, faults: faultRules, rateLimit });
  const box = sandbox ? await createSandbox({ doc, state, seed, maxAccountSets, maxBillsPerAccountSet, maxBytesPerAccountSet }) : undefined;
  /** The sandbox's own routes act on the caller's account set: they need a business call's credentials. */
  const businessCredentials = requiredKeys(doc, {});
  /** @type {import('@stoplight/prism-http').IHttpMockConfig} */
  const prismConfig = {
    mock: { dynamic: false },
    checkSecurity: false,
    validateRequest: true,
    validateResponse: false,
    errors: false,
    upstreamProxy: undefined,
    isProxy: false,
  };
  const prism = createInstance(prismConfig, { logger: createLogger('qzz-mock', { level: 'silent' }) });

  /**
   * @param {MockRequest} req
   * @returns {Promise<MockAnswer>}
   */
  async function answer({ method: sentMethod, target, headers: sentHeaders, readBody }) {
    const { path, query } = parseTarget(target);
    const method = sentMethod.toLowerCase();
    const route = routes.get(`${method} ${path}`);
    const headers = { ...sentHeaders };
    const hasBody = Number(headers['content-length'] ?? 0) > 0 || headers['transfer-encoding'] !== undefined;
    if (route?.mediaTypes.length && hasBody) checkContentType(headers['content-type'], route.mediaTypes);
    const accept = normaliseAccept(headers.accept);
    if (accept === undefined) delete headers.accept;
    else headers.accept = accept;
    const text = decodeBody(await readBody());
    if (box && path.startsWith('/__sandbox/')) {
      const missing = missingCredentials(businessCredentials, query, headers);
      if (missing.length) return missingCredentialsAnswer(missing);
      return box.control({ method, path, headers });
    }
    if (!route) {
      const allowed = [...routes.values()].filter((r) => r.wirePath === path).map((r) => r.method.toUpperCase());
      if (allowed.length) throw new Refusal(405, `${path} takes ${allowed.join(', ')}, not ${sentMethod}.`, { allow: allowed.join(', ') });
      throw new Refusal(404, `The spec has no route ${path}.`);
    }
    const missing = missingCredentials(route.credentials, query, headers);
    if (missing.length) return missingCredentialsAnswer(missing);
    // A business call names its account set; the gateway's own signed calls name none, and no fault touches them.
    const call = headers.groupname && headers.accountid ? faultCall(path, query, headers) : undefined;
    const limited = call && faults?.limited(call);
    if (limited) return limited;
    // Prism knows the operation by its spec path, whatever server prefix it was reached under.
    // A route that declares no body (the token call, a GET) ignores one, as HTTP gives it no meaning there.
    /** @type {import('@stoplight/prism-http').IHttpRequest} */
    const request = {
      method: /** @type {import('@stoplight/prism-http').IHttpRequest['method']} */ (method),
      url: { path: route.path, query },
      headers,
      body: route.mediaTypes.length ? parseBody(text, route.textBody) : undefined,
    };
    const prefer = parsePrefer(headers.prefer);
    const explicit = Object.keys(prefer).length > 0;
    let first;
    for (const { action, operation } of candidateActions(route.actions, request.body)) {
      /** @type {import('@stoplight/prism-http').IHttpOperationConfig} */
      const mock = explicit
        ? { dynamic: false, ...prefer }
        : action.examples.response
          ? { dynamic: false, exampleKey: action.examples.response }
          : { dynamic: false, ignoreExamples: true };
      const result = await prism.request(request, [operation], { ...prismConfig, mock })();
      const accepted = result._tag === 'Right' && result.right.validations.input.length === 0;
      if (accepted) {
        // A fault that answers for the gateway answers instead: the sandbox never sees the call.
        const fault = call && faults?.pick({ ...call, action: action.name });
        log(
          `${sentMethod} ${path} → ${action.name} ${fault?.answer?.status ?? result.right.output.statusCode}${fault ? ` (fault: ${fault.name})` : ''}`,
        );
        if (fault?.answer) return fault.answer;
        // Sandbox: an accepted request is answered from the caller's account set (unless Prefer picks a canned answer).
        const fromSandbox =
          box && !explicit ? await box.answer({ action, body: request.body, headers, output: result.right.output }) : undefined;
        const answer = fromSandbox ?? prismAnswer(result, action.name, log);
        // A delay, a stall or a reset: the call was answered (a save is kept), and the transport sends it so.
        return fault
          ? { ...answer, headers: { ...answer.headers, [KIT_HEADERS.fault]: fault.name }, delayMs: fault.delayMs, cut: fault.cut }
          : answer;
      }
      first ??= result;
    }
    return prismAnswer(first, undefined, log);
  }

  // `doc`: the bundle it serves, for what a transport derives from it (the HTTP server's CORS).
  return { answer, doc, close: async () => box?.close() };
}

/**
 * A business call as the faults see it: its route, account set and access token.
 * @returns {import('./faults/index.js').FaultCall}
 */
const faultCall = (route, query, headers) => ({
  route,
  groupName: headers.groupname,
  accountid: headers.accountid,
  token: query.access_token ?? '',
});

/**
 * Prism's result as the mock's answer: its response, or its error as problem+json.
 * @returns {MockAnswer}
 */
function prismAnswer(result, actionName, log) {
  if (result._tag === 'Left') {
    const { name, status, title, detail, message, additional } = result.left;
    if (status !== undefined) {
      return problemAnswer({
        type: name?.startsWith('https:') ? name : undefined,
        status,
        title: title ?? message,
        detail: detail ?? message,
        ...additional,
      });
    }
    // Prism's fallback error (it looked for a default response after failing) carries no status of its own:
    // the kind of the first failure, named in its text, says what the client asked for that is not there.
    const kind = /errors#([A-Z_]+)/.exec(`${name} ${title} ${message}`)?.[1];
    const known = PRISM_REFUSALS[kind];
    if (known) return problemAnswer({ type: `https://stoplight.io/prism/errors#${kind}`, status: known.status, detail: known.detail });
    log(`internal error: Prism failed with ${String(message ?? title ?? name)}`);
    return problemAnswer({ status: 500, detail: 'The server failed: this is a bug in @qzz/mock.' });
  }
  const { statusCode, headers = {}, body } = result.right.output;
  const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'application/json';
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  /** @type {Record<string, string>} */
  const out = { 'content-type': type, 'content-length': String(Buffer.byteLength(text)) };
  if (actionName) out[KIT_HEADERS.action] = actionName;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'content-type') out[k.toLowerCase()] = String(v);
  return { status: statusCode, headers: out, body: text };
}
