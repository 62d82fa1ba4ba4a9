// The fetch the check gives the client: it sends one request at a time, at most `rate` a second, and keeps each
// exchange's bytes as the proxy's checker takes them (a FinishedExchange), so the checker, the report and the
// capture are the proxy's own. What the client gets back is the same answer, read whole.
import { NULL_BODY_STATUSES, readLimited } from '@qzz/http';
import { MAX_VALIDATED_BYTES } from '@qzz/proxy';

/** The most of one answer the check reads: a bigger one is no answer (the client never sees it). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

// Statuses whose Response has no body (the Fetch standard's null body statuses).
/**
 * At most one start per `1000 / rate` ms, and one request at a time: each caller waits for the one before it.
 * @param {number} rate calls per second
 * @param {(ms: number) => Promise<void>} sleep
 */
export function pacer(rate, sleep) {
  const interval = 1000 / rate;
  let last = Number.NEGATIVE_INFINITY;
  let queue = Promise.resolve();
  return {
    /**
     * Runs `send` once the one before it is over and the interval since the last start has passed.
     * @template T
     * @param {() => Promise<T>} send
     * @returns {Promise<T>}
     */
    run(send) {
      const turn = queue.then(async () => {
        const wait = last + interval - Date.now();
        if (wait > 0) await sleep(wait);
        last = Date.now();
        return send();
      });
      queue = turn.then(
        () => undefined,
        () => undefined,
      );
      return turn;
    },
  };
}

/**
 * A body as the checker takes it: a buffer of its own (moved to the checker's thread), or only its size past
 * the 1 MiB the proxy checks.
 * @param {Uint8Array} bytes
 * @returns {import('@qzz/proxy/checks').KeptBody}
 */
function kept(bytes) {
  if (bytes.byteLength > MAX_VALIDATED_BYTES) return { bytes: null, size: bytes.byteLength, overflow: true };
  return { bytes: new Uint8Array(bytes), size: bytes.byteLength, overflow: false };
}

/**
 * An answer's body, read whole up to MAX_ANSWER_BYTES (past it the read stops and the call fails).
 * @param {Response} response
 */
async function readAnswer(response) {
  const { bytes, oversized } = await readLimited(response.body, MAX_ANSWER_BYTES);
  if (oversized) throw new Error(`the answer is over ${MAX_ANSWER_BYTES} bytes`);
  return bytes;
}

/**
 * Headers as the proxy's checker reads them (lower-case names; `set-cookie` as a list). The body was decoded by
 * fetch, so what described its coding on the wire is left out.
 * @param {Headers} headers
 */
function answerHeaders(headers) {
  /** @type {Record<string, string | string[]>} */
  const out = {};
  for (const [name, value] of headers)
    if (name !== 'content-encoding' && name !== 'content-length' && name !== 'set-cookie') out[name] = value;
  const cookies = headers.getSetCookie();
  if (cookies.length) out['set-cookie'] = cookies;
  return out;
}

/**
 * The recording fetch.
 * @param {{ upstream: URL, fetch: typeof globalThis.fetch, pace: ReturnType<typeof pacer>,
 *   onExchange: (exchange: import('@qzz/proxy/checks').FinishedExchange) => void }} options
 * @returns {typeof globalThis.fetch}
 */
export function recordingFetch({ upstream, fetch, pace, onExchange }) {
  const prefix = upstream.pathname.replace(/\/+$/, '');
  return async (input, init) => {
    const request = new Request(input, init);
    const sent = new Uint8Array(await request.clone().arrayBuffer());
    return pace.run(async () => {
      const response = await fetch(request);
      const bytes = await readAnswer(response);
      const url = new URL(request.url);
      const headers = Object.fromEntries(request.headers);
      onExchange({
        time: new Date().toISOString(),
        method: request.method,
        // The route as the gateway serves it: below the upstream's own path prefix, as the proxy sees it.
        pathname: url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) || '/' : url.pathname,
        search: url.search.slice(1),
        headers,
        headerNames: Object.keys(headers),
        status: response.status,
        responseHeaders: answerHeaders(response.headers),
        request: kept(sent),
        response: kept(bytes),
      });
      const relayed = new Headers(response.headers);
      relayed.delete('content-encoding');
      relayed.delete('content-length');
      return new Response(NULL_BODY_STATUSES.has(response.status) ? null : bytes, {
        status: response.status,
        statusText: response.statusText,
        headers: relayed,
      });
    });
  };
}
