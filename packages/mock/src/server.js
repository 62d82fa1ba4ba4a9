// The mock's HTTP server: reads what a client sends off the socket and writes the answer of the mock's core
// (core.js), which validates the request, picks the vendor action and lets Prism (or the sandbox) answer.
import { ClientGone, close, createCors, guardedServer, listen, Refusal } from '@qzz/http';
import { requestShape } from '@qzz/spec/actions';
import { createMockCore, MAX_BODY_BYTES } from './core.js';

export const DEFAULT_PORT = 4010;
/** How long a client may take to send a body before it is answered 408 (the bound: within 30 s). */
export const BODY_TIMEOUT_MS = 20_000;

/**
 * The body's bytes. A declared Content-Length over MAX_BODY_BYTES is refused before anything is read; a body
 * that grows past it, or that is not complete within `timeoutMs`, is refused as soon as that is known.
 * @param {import('node:http').IncomingMessage} req
 * @param {number} timeoutMs
 * @returns {Promise<Buffer>}
 */
function readBody(req, timeoutMs) {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES)
    return Promise.reject(new Refusal(413, `The body (Content-Length ${declared}) exceeds ${MAX_BODY_BYTES} bytes.`));
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    const stop = (/** @type {Error} */ error) => {
      clearTimeout(timer);
      req.removeAllListeners('data');
      req.resume();
      reject(error);
    };
    const timer = setTimeout(() => stop(new Refusal(408, `The body was not received within ${timeoutMs / 1000} s.`)), timeoutMs);
    req.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) stop(new Refusal(413, `The body exceeds ${MAX_BODY_BYTES} bytes.`));
      else chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    req.on('aborted', () => stop(new ClientGone()));
    req.on('error', () => stop(new ClientGone()));
  });
}

/** The request's headers as the core reads them: lower-case names, repeated values joined. */
const headersOf = (req) =>
  Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]));

/**
 * Starts the mock. Resolves once it listens, with its URL and `close()`.
 * Options of the mock itself (`spec`, `log`, `sandbox`, `state`, `seed`, the sandbox's limits): see MockOptions in
 * core.js and the README. `cors`: the origins a browser page may call from (`'*'`, the default; a list; or `false`).
 * @param {import('./core.js').MockOptions & { port?: number, host?: string, bodyTimeoutMs?: number, cors?: import('@qzz/http').CorsOrigins }} [options]
 */
export async function startMock({ port = DEFAULT_PORT, host = '127.0.0.1', bodyTimeoutMs = BODY_TIMEOUT_MS, cors = '*', ...options } = {}) {
  const log = options.log ?? (() => {});
  const core = await createMockCore({ ...options, log });
  /** Answers a fault holds back (delayed, stalled): let go at close, which would otherwise wait for them. */
  const held = new Set();
  const server = guardedServer(
    async (req, res) => {
      const answer = await core.answer({
        method: req.method ?? 'GET',
        target: req.url ?? '',
        headers: headersOf(req),
        readBody: () => readBody(req, bodyTimeoutMs),
      });
      await send(res, answer, held);
    },
    { name: '@qzz/mock', log, cors: mockCors(core.doc, cors) },
  );
  const url = await listen(server, port, host);
  const stop = () => {
    for (const res of held) res.destroy();
    return close(server);
  };
  return { url, close: () => stop().then(() => core.close()), server };
}

/**
 * Writes the core's answer as a fault asks: `delayMs` late (not at all if the caller hangs up meanwhile), never
 * (`stall`: the connection stays open until the caller gives up), or broken off (`reset`: the status, the headers
 * and half the body, then the connection closed).
 * @param {import('node:http').ServerResponse} res
 * @param {import('./answer.js').MockAnswer} answer
 * @param {Set<import('node:http').ServerResponse>} held
 */
async function send(res, { status, headers, body, delayMs, cut }, held) {
  if (delayMs || cut === 'stall') {
    held.add(res);
    res.once('close', () => held.delete(res));
    if (cut === 'stall') return;
    const waited = await waitUnlessGone(res, delayMs ?? 0);
    held.delete(res);
    if (!waited) return;
  }
  if (cut === 'reset') {
    const bytes = Buffer.from(body);
    res.writeHead(status, headers).write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.destroy());
    return;
  }
  res.writeHead(status, headers).end(body);
}

/**
 * Resolves true after `ms`, or false as soon as the connection closes (the caller hung up, or the mock closed).
 * @param {import('node:http').ServerResponse} res
 * @param {number} ms
 */
function waitUnlessGone(res, ms) {
  return new Promise((resolve) => {
    const gone = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', gone);
      resolve(true);
    }, ms);
    res.once('close', gone);
  });
}

/**
 * The mock's CORS (on by default: a development server browsers call): the methods and headers of the spec's
 * calls, and `Prefer`, with which a page picks an example as curl does.
 * @param {any} doc
 * @param {import('@qzz/http').CorsOrigins} origins
 */
function mockCors(doc, origins) {
  const { methods, headers } = requestShape(doc);
  return createCors({ origins, methods, headers: [...headers, 'Prefer'] });
}
