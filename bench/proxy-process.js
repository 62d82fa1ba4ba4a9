// The proxy's CLI in a child process, so its RSS and its event loop are its own: shared by the proxy's benchmarks.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'proxy', 'src', 'cli.js');

/**
 * Starts `qzz-proxy --upstream <upstream> --port 0 --quiet` plus `args`; resolves once it listens.
 * @param {string} upstream
 * @param {string[]} [args]
 */
export async function proxyProcess(upstream, args = []) {
  const child = spawn(process.execPath, [cli, '--upstream', upstream, '--port', '0', '--quiet', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const port = /listening on http:\/\/localhost:([0-9]+)/.exec(out)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    });
    child.once('exit', (code) => reject(new Error(`the proxy exited with ${code}`)));
  });
  const rss = async () => Number(/VmRSS:\s+([0-9]+) kB/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  return {
    url,
    rss,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
