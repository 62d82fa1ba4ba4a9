// Serves dist/ (the built site) over HTTP: `pnpm docs` → http://localhost:8080, and startDocsServer() for tests.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { close, guardedServer, listen, parsePort, parseTarget, Refusal, serveUntilSignal } from '@qzz/http';

export const DEFAULT_PORT = 8080;
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.yaml': 'application/yaml; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const ALLOW = 'GET, HEAD';

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
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': info.size });
    if (req.method === 'HEAD') res.end();
    else await pipeline(createReadStream(file), res);
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
