// CORS for the kit's servers a browser may call (the mock, the sandbox, the proxy): a preflight is answered from
// the server's own fixed lists (never from what the request names), and every other answer says which origin may
// read it and which of the kit's headers it may see.
import { sendProblem } from './index.js';

/**
 * The headers of the kit's own that a page may read from an answer: what the mock tells about how it answered
 * (`x-qzz-*`), and `Retry-After`, which a client honours after a 429 and which browsers hide unless exposed.
 */
export const KIT_HEADERS = Object.freeze({
  action: 'x-qzz-action',
  sandbox: 'x-qzz-sandbox',
  fault: 'x-qzz-fault',
});
const EXPOSED = [...Object.values(KIT_HEADERS), 'retry-after'];

/** How long a browser may keep a preflight's answer, in seconds (Chromium keeps it at most 2 hours). */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * Which origins may call: `'*'` (any), a list of origins, or `false` (CORS off: no CORS header is added and a
 * preflight is not answered, so it meets the server's ordinary handling).
 * @typedef {'*' | string[] | false} CorsOrigins
 */

/**
 * One origin as a browser sends it in `Origin` (`scheme://host[:port]`, no path), or an Error saying what is
 * wrong with `value`.
 * @param {string} value
 */
function parseOrigin(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not an origin such as http://localhost:5173.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`"${value}" is not an http(s) origin.`);
  // A browser's Origin has no path, query, fragment or credentials: `value` must be exactly an origin.
  if (url.origin !== value.replace(/\/$/, '').toLowerCase() || url.username || url.password)
    throw new Error(`"${value}" is not an origin (scheme://host[:port], no path): did you mean ${url.origin}?`);
  return url.origin;
}

/**
 * `--cors <origin,…|*|off>` as a server takes it. `undefined` gives `fallback` (a server's default).
 * @param {string | undefined} value
 * @param {CorsOrigins} fallback
 * @returns {CorsOrigins}
 */
export function parseCors(value, fallback) {
  if (value === undefined) return fallback;
  const text = value.trim();
  if (text === 'off') return false;
  if (text === '*') return '*';
  const origins = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (origins.length === 0) throw new Error('--cors takes a comma-separated list of origins, "*" or "off".');
  try {
    return [...new Set(origins.map(parseOrigin))];
  } catch (error) {
    throw new Error(`--cors: ${error.message}`);
  }
}

/**
 * A server's CORS: which origins may call, with which methods and request headers (from the spec's calls), and
 * which answer headers they may read. `undefined` when `origins` is `false`.
 * @param {{ origins: CorsOrigins, methods: readonly string[], headers: readonly string[] }} settings
 */
export function createCors({ origins, methods, headers }) {
  if (origins === false) return undefined;
  const allowed = origins === '*' ? undefined : new Set(origins.map(parseOrigin));
  const allowMethods = [...new Set(methods.map((m) => m.toUpperCase()))].join(', ');
  const allowHeaders = [...new Set(headers)].join(', ');

  /** The Access-Control-Allow-Origin an answer to `origin` carries, or undefined when that origin may not read it. */
  const allowOrigin = (/** @type {string | undefined} */ origin) => {
    if (!allowed) return '*';
    // Compared as sent: a browser's Origin is already serialised (lower-case scheme and host, no default port).
    return origin !== undefined && allowed.has(origin) ? origin : undefined;
  };
  /** Only a list makes the answer depend on the Origin; caches must keep one answer per origin then. */
  /** @type {Record<string, string>} */
  const vary = allowed ? { vary: 'Origin' } : {};

  return {
    /**
     * The CORS headers of an answer to `req` (not a preflight): set before anything else writes, so a refusal
     * (a 401, a 422) reaches the page as the answer it is, not as a network error.
     * @param {import('node:http').IncomingMessage} req
     * @returns {Record<string, string>}
     */
    headersFor(req) {
      const origin = allowOrigin(req.headers.origin);
      if (!origin) return { ...vary };
      return { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED.join(', '), ...vary };
    },

    /** True for a CORS preflight: OPTIONS with an Origin and the method the page wants to send. */
    isPreflight: (/** @type {import('node:http').IncomingMessage} */ req) =>
      req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined,

    /**
     * Answers a preflight: 204 with the fixed lists when the origin may call, else 403. Nothing the preflight
     * names (its Access-Control-Request-Headers, however long or malformed) is read or echoed: the browser
     * compares it with the lists itself.
     * @param {import('node:http').IncomingMessage} req
     * @param {import('node:http').ServerResponse} res
     */
    answerPreflight(req, res) {
      // A preflight carries no body the server would read; any that comes is drained, not answered.
      req.resume();
      const origin = allowOrigin(req.headers.origin);
      if (!origin) {
        sendProblem(res, { status: 403, detail: 'This origin is not among those the server allows (--cors).' }, vary);
        return;
      }
      res
        .writeHead(204, {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': allowMethods,
          'access-control-allow-headers': allowHeaders,
          'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
          ...vary,
        })
        .end();
    },
  };
}

/** @typedef {NonNullable<ReturnType<typeof createCors>>} Cors */
