// `pnpm start`: the local stack, after `turbo run build`. Serves the bundled spec on http://localhost:8080
// until the docs site and the mock join it. Ctrl-C stops it.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = {
  '/openapi.json': ['spec/dist/openapi.json', 'application/json; charset=utf-8'],
  '/openapi.yaml': ['spec/dist/openapi.yaml', 'application/yaml; charset=utf-8'],
};
files['/'] = files['/openapi.yaml'];

const server = createServer(async (req, res) => {
  const file = files[new URL(req.url, 'http://localhost').pathname];
  if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: try /openapi.yaml or /openapi.json\n');
    return;
  }
  const body = await readFile(join(root, file[0]));
  res.writeHead(200, { 'content-type': file[1], 'content-length': body.length }).end(req.method === 'HEAD' ? undefined : body);
});
server.listen(8080, () => {
  console.log('\n  轻智造-通用 API, local stack\n');
  console.log('  spec   http://localhost:8080/openapi.yaml  (and /openapi.json)\n');
  console.log('  Ctrl-C stops it.\n');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
