// The mock's HTTP server: parses what a client sends, picks the vendor action the body asks for, and lets
// Prism validate the request against that action and produce the answer.
import { readFile } from 'node:fs/promises';
import { createServer, STATUS_CODES } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@stoplight/prism-core';
import { createInstance, getHttpOperationsFromSpec } from '@stoplight/prism-http';
import { buildActionOperations, candidateActions } from './actions.js';
import { createSandbox } from './sandbox/index.js';

export const DEFAULT_PORT = 4010;
const MAX_BODY_BYTES = 1024 * 1024;

/** A request the mock refuses before Prism sees it. */
class ClientError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** RFC 9457 problem details, the shape Prism answers its own errors with. */
function problem(res, { type = 'about:blank', status, title = STATUS_CODES[status], detail, ...extra }) {
  const body = JSON.stringify({ type, title, status, detail, ...extra });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) }).end(body);
}

/** The body as text. Past MAX_BODY_BYTES it is drained, not kept, and refused once the client has sent it. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () =>
      size > MAX_BODY_BYTES
        ? reject(new ClientError(413, `The body exceeds ${MAX_BODY_BYTES} bytes.`))
        : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

/** `Prefer: code=200, example=businessFailure, dynamic=true` → Prism's mock options. */
export function parsePrefer(header) {
  const prefer = {};
  for (const part of String(header ?? '').split(/[,;]/)) {
    const [key, value] = part.split('=').map((s) => s?.trim());
    if (key === 'code' && /^[1-5][0-9]{2}$/.test(value)) prefer.code = Number(value);
    else if (key === 'example' && value) prefer.exampleKey = value.replace(/^"|"$/g, '');
    else if (key === 'dynamic' && value) prefer.dynamic = value === 'true';
  }
  return prefer;
}

/** The body as Prism should see it: JSON parsed; a text/plain endpoint's JSON text parsed too. */
function parseBody(raw, contentType, textBody) {
  if (raw === '') return undefined;
  const isJson = /^application\/(.+\+)?json\b/i.test(contentType ?? '');
  if (!isJson && !textBody) return raw;
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new ClientError(
      isJson ? 400 : 422,
      isJson
        ? `The body is not valid JSON: ${error.message}`
        : `This endpoint takes JSON text in a text/plain body, and the body is not JSON: ${error.message}`,
    );
  }
}

const headersOf = (req) => Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]));

/**
 * Starts the mock. Resolves once it listens, with its URL and `close()`.
 * `sandbox`: keep what clients save, per account set (`state`: a state file; `seed`: a seed file); see the README.
 * @param {{ port?: number, host?: string, spec?: string, log?: (line: string) => void, sandbox?: boolean, state?: string, seed?: string }} [options]
 */
export async function startMock({ port = DEFAULT_PORT, host = '127.0.0.1', spec, log = () => {}, sandbox = false, state, seed } = {}) {
  const specPath = spec ?? fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
  const doc = JSON.parse(await readFile(specPath, 'utf8'));
  const prismOperations = await getHttpOperationsFromSpec(specPath);
  const routes = buildActionOperations(doc, prismOperations);
  if (!sandbox && (state || seed)) throw new Error('A state file and a seed file are for the sandbox: start it with sandbox (--sandbox) too.');
  const box = sandbox ? await createSandbox({ doc, state, seed }) : undefined;
  const prism = createInstance(
    { mock: { dynamic: false }, checkSecurity: true, validateRequest: true, validateResponse: false, errors: false, upstreamProxy: undefined, isProxy: false },
    { logger: createLogger('qzz-mock', { level: 'silent' }) },
  );

  async function answer(req, res) {
    const url = new URL(req.url, 'http://mock.invalid');
    const method = req.method.toLowerCase();
    const route = routes.get(`${method} ${url.pathname}`);
    const raw = await readBody(req);
    const headers = headersOf(req);
    // Sandbox: its own routes, for tests (see sandbox/index.js).
    if (box && url.pathname.startsWith('/__sandbox/')) {
      return box.control(res, { method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers });
    }
    const body = route ? parseBody(raw, headers['content-type'], route.textBody) : raw;
    const request = { method, url: { path: url.pathname, query: Object.fromEntries(url.searchParams) }, headers, body };
    if (!route) {
      // Prism routes it, so an unknown path and a wrong method get Prism's own 404 and 405.
      return send(res, await prism.request(request, prismOperations)());
    }
    const prefer = parsePrefer(headers.prefer);
    const explicit = Object.keys(prefer).length > 0;
    let first;
    for (const { action, operation } of candidateActions(route.actions, body)) {
      const mock = explicit
        ? { dynamic: false, ...prefer }
        : action.examples.response
          ? { dynamic: false, exampleKey: action.examples.response }
          : { dynamic: false, ignoreExamples: true };
      const result = await prism.request(request, [operation], { mock })();
      const accepted = result._tag === 'Right' && result.right.validations.input.length === 0;
      if (accepted) {
        log(`${req.method} ${url.pathname} → ${action.name} ${result.right.output.statusCode}`);
        // Sandbox: an accepted request is answered from the caller's account set (unless Prefer picks a canned answer).
        if (box && !explicit && (await box.answer(res, { action, body, headers, output: result.right.output }))) return;
        return send(res, result, action.name);
      }
      first ??= result;
    }
    return send(res, first);
  }

  const server = createServer((req, res) => {
    answer(req, res).catch((error) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof ClientError) return problem(res, { status: error.status, detail: error.message });
      log(`internal error: ${error.stack}`);
      problem(res, { status: 500, detail: 'The mock failed: this is a bug in @qzz/mock.' });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url,
    close: () =>
      new Promise((resolve) => server.close(() => resolve()))
        .then(() => box?.close())
        .then(() => undefined, () => undefined),
    server,
  };
}

/** Writes Prism's result: its response, or its error as problem+json. */
function send(res, result, actionName) {
  if (result._tag === 'Left') {
    const { name, status = 500, title, detail, message, additional } = result.left;
    return problem(res, { type: name?.startsWith('https:') ? name : undefined, status, title: title ?? message, detail: detail ?? message, ...additional });
  }
  const { statusCode, headers = {}, body } = result.right.output;
  const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'application/json';
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  const out = { 'content-type': type, 'content-length': Buffer.byteLength(text) };
  if (actionName) out['x-qzz-action'] = actionName;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'content-type') out[k] = v;
  res.writeHead(statusCode, out).end(text);
}
