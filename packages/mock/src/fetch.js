// The mock in-process: a `fetch` that answers through the mock's core (core.js) as the HTTP mock does, with no
// port and no socket. What the HTTP layer refuses and a fetch can still send (a method Node's parser rejects, a
// body over the limit) is refused here with the same answer; the framing a socket needs (Content-Length,
// Transfer-Encoding, Expect) is the transport's, so the caller's is ignored and the body's own length counts.
import { METHODS } from 'node:http';
import { NULL_BODY_STATUSES, nodeRefusal, problemAnswer, Refusal, readLimited } from '@qzz/http';
import { createMockCore, errorAnswer, MAX_BODY_BYTES } from './core.js';

/**
 * A started in-process mock: call it as `fetch` (`Request | URL | string`, and an init), hand it to a client as
 * its `fetch`, and `close()` it once done (a sandbox with a state file then has every change on disk).
 * @typedef {((input: string | URL | Request, init?: RequestInit) => Promise<Response>) & { close(): Promise<void> }} MockFetch
 */

/** The methods Node's HTTP parser reads: the HTTP mock never sees another (the parser answers 400 first). */
const PARSED_METHODS = new Set(METHODS);

/** Headers that frame a body on a socket: in-process the body is whole, its length its own. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'expect', 'connection', 'keep-alive', 'upgrade']);

/**
 * Starts the mock in-process. Resolves once Prism has loaded the bundle (and the sandbox its seed and state
 * file): `const mockFetch = await createMockFetch({ sandbox: true })`. Any origin works as a base URL: only the
 * path and query of what it is asked for count, as on the HTTP mock.
 * @param {import('./core.js').MockOptions} [options]
 * @returns {Promise<MockFetch>}
 */
export async function createMockFetch(options = {}) {
  const log = options.log ?? (() => {});
  const core = await createMockCore({ ...options, log });
  /** @param {string | URL | Request} input @param {RequestInit} [init] */
  const mockFetch = async (input, init) => {
    // A Request is made as fetch makes one, so what fetch refuses (a bad URL, a GET with a body) throws alike.
    const request = new Request(input, init);
    // Nothing is sent once the signal has aborted, as with fetch; a fault's delay or stall ends there too.
    const answer = await untilAborted(request.signal, () =>
      answerRequest(core, request, log).then((answer) => asFaultSends(answer, request.signal)),
    );
    return responseOf(answer, request);
  };
  return Object.assign(mockFetch, { close: () => core.close() });
}

/**
 * The core's answer to a Request, or the answer the HTTP layer would have given first.
 * @param {Awaited<ReturnType<typeof createMockCore>>} core
 * @param {Request} request
 * @param {(line: string) => void} log
 * @returns {Promise<import('./answer.js').MockAnswer>}
 */
async function answerRequest(core, request, log) {
  if (!PARSED_METHODS.has(request.method)) {
    const [status, detail] = nodeRefusal('HPE_INVALID_METHOD');
    return problemAnswer({ status, detail });
  }
  const { pathname, search } = new URL(request.url);
  const body = await readLimited(request.body, MAX_BODY_BYTES);
  try {
    return await core.answer({
      method: request.method,
      target: `${pathname}${search}`,
      headers: headersOf(request.headers, body),
      readBody: async () => {
        if (body.oversized) throw new Refusal(413, `The body exceeds ${MAX_BODY_BYTES} bytes.`);
        return body.bytes;
      },
    });
  } catch (error) {
    return errorAnswer(error, log);
  }
}

/**
 * The headers as the HTTP mock would receive them from fetch: the caller's, lower-cased and joined by Headers,
 * without its framing; the body's length (an oversized body as chunked, as a stream is sent); and `Accept: *\/*`
 * when the caller sets none, as fetch sends it.
 * @param {Headers} sent
 * @param {{ bytes: Uint8Array, oversized: boolean }} body
 */
function headersOf(sent, body) {
  /** @type {Record<string, string>} */
  const headers = {};
  for (const [name, value] of sent) if (!FRAMING.has(name)) headers[name] = value;
  if (body.oversized) headers['transfer-encoding'] = 'chunked';
  else headers['content-length'] = String(body.bytes.byteLength);
  headers.accept ??= '*/*';
  return headers;
}

/** A `reset` fault, as fetch rejects when the connection is lost: a TypeError whose cause says the other side closed. */
export class ConnectionLost extends TypeError {
  constructor() {
    super('fetch failed', { cause: Object.assign(new Error("other side closed (the mock's fault: reset)"), { code: 'UND_ERR_SOCKET' }) });
  }
}

/**
 * The answer once a fault has had its way (src/faults): `delayMs` later; never (`stall`: until the caller's signal
 * aborts, which `untilAborted` turns into fetch's rejection); or, for a `reset`, fetch's rejection when the
 * connection is lost: a TypeError whose cause says the other side closed.
 * @param {import('./answer.js').MockAnswer} answer
 * @param {AbortSignal} signal
 * @returns {Promise<import('./answer.js').MockAnswer>}
 */
async function asFaultSends(answer, signal) {
  if (answer.cut === 'stall') return new Promise(() => {});
  if (answer.delayMs) {
    // An abort has settled the fetch already (untilAborted); it only ends the wait.
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, answer.delayMs);
      signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    });
  }
  if (answer.cut === 'reset') throw new ConnectionLost();
  return answer;
}

/**
 * The answer as a Response; a HEAD's carries its headers and no body, as on HTTP.
 * @param {import('./answer.js').MockAnswer} answer
 * @param {Request} request
 */
function responseOf(answer, request) {
  const bodyless = request.method === 'HEAD' || NULL_BODY_STATUSES.has(answer.status);
  const response = new Response(bodyless ? null : answer.body, { status: answer.status, headers: answer.headers });
  // As fetch's Responses do, it says what URL it answers.
  Object.defineProperty(response, 'url', { value: request.url });
  return response;
}

/**
 * `send()`'s answer, or the signal's reason once it aborts (as fetch rejects); nothing is sent when it has aborted
 * already. What was sent is answered all the same: a sandbox keeps a save whose caller gave up, as a server does.
 * @template T
 * @param {AbortSignal} signal
 * @param {() => Promise<T>} send
 * @returns {Promise<T>}
 */
function untilAborted(signal, send) {
  if (signal.aborted) return Promise.reject(signal.reason);
  const answer = send();
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
