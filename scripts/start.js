// `pnpm start` (after `turbo run build`): the docs site on http://localhost:8080 and the mock on
// http://localhost:4010, each in its own process so that one failing never takes the other down: a server
// that dies after it was up is started again. Ctrl-C stops both.
// `node scripts/start.js [--docs-port N] [--mock-port N]` (0 picks a free port).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parsePort } from '../packages/http/src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let ports;
try {
  const { values } = parseArgs({ options: { 'docs-port': { type: 'string' }, 'mock-port': { type: 'string' } } });
  ports = { docs: parsePort(values['docs-port'], 8080), mock: parsePort(values['mock-port'], 4010) };
} catch (error) {
  console.error(`${error.message}\nUsage: pnpm start [--docs-port <0-65535>] [--mock-port <0-65535>]`);
  process.exit(2);
}
const SERVICES = [
  { name: 'docs', script: 'packages/docs/src/serve.js', port: ports.docs },
  { name: 'mock', script: 'packages/mock/src/cli.js', port: ports.mock },
];
/** A server that keeps dying is given up on rather than restarted in a loop. */
const MAX_RESTARTS_PER_MINUTE = 5;

let stopping = false;
const children = new Map();

/** Starts one service; resolves with its URL once it says it listens, rejects if it exits before that. */
function run(service, restarts = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, service.script), '--port', String(service.port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(service.name, child);
    let ready = false;
    let said = '';
    child.stdout.setEncoding('utf8').on('data', (text) => {
      if (!ready) {
        const url = /listening on (\S+)/.exec(text)?.[1];
        if (url) {
          ready = true;
          resolve(url);
          return;
        }
      }
      process.stdout.write(text.replace(/^(?=.)/gm, `${service.name}  `));
    });
    child.stderr.setEncoding('utf8').on('data', (text) => {
      said += text;
      process.stderr.write(text.replace(/^(?=.)/gm, `${service.name}  `));
    });
    child.on('exit', (code, signal) => {
      children.delete(service.name);
      if (stopping) return;
      if (!ready) {
        reject(new Error(said.trim() || `${service.name} exited (${signal ?? code}) before it was up.`));
        return;
      }
      const now = Date.now();
      const recent = [...restarts.filter((t) => now - t < 60_000), now];
      if (recent.length > MAX_RESTARTS_PER_MINUTE) {
        console.error(
          `${service.name} keeps failing (${recent.length} times in a minute): not restarting it. The other server keeps running.`,
        );
        return;
      }
      console.error(`${service.name} stopped (${signal ?? `exit ${code}`}); starting it again.`);
      run(service, recent).then(
        (url) => console.log(`${service.name} is up again on ${url}`),
        (error) => console.error(`${service.name} could not start again: ${error.message}`),
      );
    });
  });
}

function stop(code) {
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  process.exitCode = code;
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const started = await Promise.allSettled(SERVICES.map((service) => run(service)));
const failed = started.filter((result) => result.status === 'rejected');
if (failed.length) {
  for (const { reason } of failed) console.error(reason.message);
  stop(1);
} else {
  const [docs, mock] = started.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
  console.log(`
  轻智造-通用 API — local stack

  docs   ${docs}
  mock   ${mock}   (e.g. POST /app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup)

  Ctrl-C stops both.
`);
}
