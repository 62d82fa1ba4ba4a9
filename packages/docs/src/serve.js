// Serves dist/ (the built site) over HTTP: `pnpm docs` → http://localhost:8080, and startDocsServer() for tests.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const DEFAULT_PORT = 8080;
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const TYPES = { '.html': 'text/html; charset=utf-8', '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** Starts a static server of the built site. Resolves with its URL and close(). */
export async function startDocsServer({ port = DEFAULT_PORT, host = '127.0.0.1', root = DIST } = {}) {
  await stat(join(root, 'index.html')).catch(() => {
    throw new Error(`No built site in ${root}: run \`pnpm build\` first.`);
  });
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://docs.invalid').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    const info = file.startsWith(root + sep) || file === root ? await stat(file).catch(() => null) : null;
    if (!info?.isFile() || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': info.size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return { url: `http://${host}:${server.address().port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  let port = DEFAULT_PORT;
  try {
    const { values } = parseArgs({ options: { port: { type: 'string' } } });
    port = Number(values.port ?? DEFAULT_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, not "${values.port}".`);
  } catch (error) {
    console.error(`${error.message}\nUsage: node src/serve.js [--port <1-65535>]`);
    process.exit(2);
  }
  try {
    const docs = await startDocsServer({ port });
    console.log(`qzz docs on ${docs.url.replace('127.0.0.1', 'localhost')}`);
    const stop = () => docs.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } catch (error) {
    console.error(error.code === 'EADDRINUSE' ? `Port ${port} is in use: pick another with --port.` : error.message);
    process.exit(1);
  }
}
