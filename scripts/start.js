// `pnpm start` (after `turbo run build`): the docs site on http://localhost:8080 and the mock on
// http://localhost:4010, in one process with one banner. Ctrl-C stops both.
import { startDocsServer } from '../packages/docs/src/serve.js';
import { startMock } from '../packages/mock/src/index.js';

const services = [];
try {
  services.push(['docs', await startDocsServer({ port: 8080 })]);
  services.push(['mock', await startMock({ port: 4010 })]);
} catch (error) {
  console.error(error.code === 'EADDRINUSE' ? `Port ${error.port} is in use: stop what listens there and try again.` : error.message);
  await Promise.all(services.map(([, s]) => s.close()));
  process.exit(1);
}

const local = (url) => url.replace('127.0.0.1', 'localhost');
console.log(`
  轻智造-通用 API — local stack

  docs   ${local(services[0][1].url)}
  mock   ${local(services[1][1].url)}   (e.g. POST /app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup)

  Ctrl-C stops both.
`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.all(services.map(([, s]) => s.close()));
  console.log('stopped');
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
