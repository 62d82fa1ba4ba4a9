// What several of the mock's tests send, and how they start the mock's CLI.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** The X-Api-* headers of a signed gateway call, with values the mock accepts (it checks shape, not signatures). */
export const SIGNED = {
  'X-Api-ClientID': 'client',
  'X-Api-Signature': 'c2lnbmF0dXJl',
  'X-Api-Auth-Version': '2.0',
  'X-Api-TimeStamp': '1700000000000',
  'X-Api-Nonce': '42',
  'X-Api-SignHeaders': 'X-Api-TimeStamp,X-Api-Nonce',
};

const CLI = new URL('../src/cli.js', import.meta.url).pathname;

/**
 * The URL the mock's CLI prints once it listens (`… listening on <url>`); rejects, with what it printed, if the
 * process exits first.
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Promise<string>}
 */
export function listeningUrl(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.stderr?.on('data', (chunk) => (out += chunk));
    child.once('exit', (code, signal) => reject(new Error(`the mock exited (${code ?? signal}) before listening: ${out}`)));
  });
}

/**
 * The mock's CLI in a child process (`args` after `qzz-mock`), so a test can kill it, read its /proc entries or
 * run it under a heap ceiling (`nodeOptions`) or a file-size limit (`fileSizeKiB`, through the shell's `ulimit -f`:
 * a write past it fails with EFBIG, as one on a full disk fails with ENOSPC). Resolves once it listens.
 * @param {string[]} args
 * @param {{ nodeOptions?: string[], fileSizeKiB?: number }} [options]
 */
export async function startCli(args, { nodeOptions = [], fileSizeKiB } = {}) {
  const command = [process.execPath, ...nodeOptions, CLI, ...args];
  const child =
    fileSizeKiB === undefined
      ? spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn('bash', ['-c', `ulimit -f ${fileSizeKiB} && exec "$0" "$@"`, ...command], { stdio: ['ignore', 'pipe', 'inherit'] });
  /** @type {Promise<{ code: number | null, signal: string | null }>} */
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await listeningUrl(child);
  return {
    /** @type {string} */
    url,
    child,
    exited,
    /** Bytes the process has passed to write(2) so far, to files and sockets alike (`wchar` in /proc/<pid>/io). */
    written: async () => Number(/^wchar: ([0-9]+)$/m.exec(await readFile(`/proc/${child.pid}/io`, 'utf8'))?.[1]),
    stop: async () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}
