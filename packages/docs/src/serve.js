// Serves dist/ (the built site) over HTTP: `pnpm docs` → http://localhost:8080, and startDocsServer() for tests.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { close, guardedServer, listen, parsePort, parseTarget, Refusal, serveUntilSignal } from '@qzz/http';
import { COMPRESSIBLE, ENCODINGS, HASHED_ASSET } from './assets.js';

export const DEFAULT_PORT = 8080;
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.yaml': 'application/yaml; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.atom': 'application/atom+xml; charset=utf-8',
};
const ALLOW = 'GET, HEAD';
/** A content-named file never changes (src/assets.js); every other file is checked again on each visit. */
const CACHE_FOREVER = 'public, max-age=31536000, immutable';
const CACHE_CHECK = 'no-cache';

/**
 * The content coding to send, from the request's Accept-Encoding (RFC 9110 §12.5.3) and the codings the file
 * has copies in: the acceptable one with the highest q, the smaller copy on a tie (br, then gzip, then the file
 * itself); the file itself, when the header does not name it, only where no named coding is acceptable. Without
 * the header the file itself is sent (the safe reading: a client that says nothing may not decode). `null` when nothing the request accepts is available (identity refused by `identity;q=0` or
 * `*;q=0`). An entry that does not parse counts as not given.
 * @param {string | undefined} header
 * @param {string[]} available codings with a copy, best first (`br`, `gzip`)
 * @returns {string | null} a coding, `identity`, or null
 */
export function chooseEncoding(header, available) {
  if (header === undefined) return 'identity';
  /** @type {Map<string, number>} */
  const q = new Map();
  for (const entry of header.split(',')) {
    const [name, ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (!name || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) continue;
    let weight = 1;
    for (const param of params) {
      const m = /^q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.exec(param);
      if (m) weight = Number(m[1]);
      else if (/^q\s*=/.test(param)) weight = Number.NaN;
    }
    if (Number.isNaN(weight)) continue;
    const coding = name === 'x-gzip' ? 'gzip' : name;
    q.set(coding, Math.max(q.get(coding) ?? 0, weight));
  }
  const star = q.get('*');
  // The file itself, unless refused, is acceptable but comes last: a coding the request names is preferred.
  const weightOf = (/** @type {string} */ coding) => q.get(coding) ?? star ?? (coding === 'identity' ? Number.MIN_VALUE : 0);
  let best = null;
  let bestWeight = 0;
  for (const coding of [...available, 'identity']) {
    const weight = weightOf(coding);
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}

/**
 * The file to send for `file` and the request's Accept-Encoding: a precompressed copy where one is accepted.
 * @param {string} file @param {import('node:fs').Stats} info @param {string | undefined} acceptEncoding
 */
async function variantOf(file, info, acceptEncoding) {
  if (!COMPRESSIBLE.has(extname(file))) return { path: file, size: info.size, coding: 'identity', varies: false };
  const copies = await Promise.all(
    Object.entries(ENCODINGS).map(async ([coding, suffix]) => {
      const copy = await stat(`${file}${suffix}`).catch(() => null);
      return copy?.isFile() ? { coding, path: `${file}${suffix}`, size: copy.size } : null;
    }),
  );
  const available = copies.filter((copy) => copy !== null);
  const coding = chooseEncoding(
    acceptEncoding,
    available.map((copy) => copy.coding),
  );
  if (coding === null) throw new Refusal(406, 'The request accepts no content coding this file is kept in (br, gzip or identity).');
  const copy = available.find((c) => c.coding === coding);
  return copy ? { ...copy, varies: true } : { path: file, size: info.size, coding: 'identity', varies: available.length > 0 };
}

/**
 * Starts a static server of the built site. Resolves with its URL and close().
 * @param {{ port?: number, host?: string, root?: string, log?: (line: string) => void, headersTimeoutMs?: number }} [options]
 */
export async function startDocsServer({
  port = DEFAULT_PORT,
  host = '127.0.0.1',
  root = DIST,
  log = (line) => console.error(line),
  headersTimeoutMs,
} = {}) {
  await stat(join(root, 'index.html')).catch(() => {
    throw new Error(`No built site in ${root}: run \`pnpm build\` first.`);
  });

  async function answer(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new Refusal(405, `The docs site only serves ${ALLOW}.`, { allow: ALLOW });
    const { path } = parseTarget(req.url);
    if (path.includes('\0')) throw new Refusal(400, 'The request path holds a NUL byte.');
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    const info = file.startsWith(root + sep) ? await stat(file).catch(() => null) : null;
    if (!info?.isFile()) throw new Refusal(404, `No page at ${path}.`);
    const variant = await variantOf(file, info, req.headers['accept-encoding']);
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': variant.size,
      'cache-control': HASHED_ASSET.test(path) ? CACHE_FOREVER : CACHE_CHECK,
      ...(variant.coding !== 'identity' && { 'content-encoding': variant.coding }),
      ...(variant.varies && { vary: 'Accept-Encoding' }),
    });
    if (req.method === 'HEAD') res.end();
    else await pipeline(createReadStream(variant.path), res);
  }

  const server = guardedServer(answer, { name: '@qzz/docs', log, headersTimeoutMs });
  const url = await listen(server, port, host);
  return { url, close: () => close(server) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  let port;
  try {
    const { values } = parseArgs({ options: { port: { type: 'string' } } });
    port = parsePort(values.port, DEFAULT_PORT);
  } catch (error) {
    console.error(`${error.message}\nUsage: node src/serve.js [--port <0-65535>]`);
    process.exit(2);
  }
  await serveUntilSignal(
    () => startDocsServer({ port }),
    (url) => `qzz docs listening on ${url}`,
  );
}
