// The round trip from traffic to a typed client function — capture → `pnpm spec:add` → build — run in a
// throwaway copy of the repository, so the real spec/ is never touched. bench/round-trip.js times it;
// packages/proxy/test/round-trip.test.js checks that the fast path builds what the full build builds.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
// The proxy's tests' stand-in gateway and the headers of a business call.
import { HEADERS } from '../packages/proxy/test/round-trip.js';
import { json, startStandIn } from '../packages/proxy/test/standin.js';

const run = promisify(execFile);
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The action the round trip adds: a query route the spec lacks, as the guide's example has it. */
export const WIDGET = {
  path: '/mxoc_pom/mxoc_pom_widget_query',
  module: 'production',
  action: 'mxocPomWidgetQuery',
  body: { pageSize: '10', pageIndex: '1' },
};

/**
 * The stand-in gateway's answer to the widget query: a page of one row, with a name and a phone number, and a
 * short list (which Biome, unlike JSON.stringify, writes on one line).
 */
const widgetAnswer = (/** @type {string} */ pageIndex) => ({
  success: true,
  reachPlugin: true,
  errorCode: '',
  data: {
    total: '2',
    rows: [
      {
        id: '1634800180022794240',
        number: `WG-000${pageIndex}`,
        name: '张三',
        phone: '13812345678',
        qty: '2.0000000000',
        tags: ['A', 'B'],
      },
    ],
  },
});

/**
 * The pnpm the repository names (`packageManager`): the one on PATH (pnpm puts itself there for the scripts it
 * runs), else through npx as the README says.
 * @returns {{ command: string, prefix: string[] }}
 */
export function pnpm() {
  const onPath = (process.env.PATH ?? '').split(delimiter).find((dir) => dir && existsSync(join(dir, 'pnpm')));
  if (onPath) return { command: join(onPath, 'pnpm'), prefix: [] };
  const { packageManager } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  return { command: 'npx', prefix: ['-y', packageManager] };
}

/**
 * The environment for commands in a copy: turbo's variables of an outer run (the test suite runs under turbo)
 * left out, so the copy's turbo starts afresh.
 */
const copyEnv = () => Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TURBO_')));

/** What `copyRepository` copies: the repository's files as `git` sees them (tracked and new), no build output. */
async function repositoryFiles() {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.split('\0').filter((file) => file && existsSync(join(repoRoot, file)));
}

/**
 * A copy of the repository in a temporary folder: its files, and its installed packages linked (the root's
 * node_modules by a link, each package's own links copied as links), so that pnpm, turbo and every tool run in
 * it as here, with an empty turbo cache and no build output.
 */
export async function copyRepository() {
  const base = await mkdtemp(join(tmpdir(), 'qzz-round-trip-'));
  const root = join(base, 'repo');
  await mkdir(root);
  for (const file of await repositoryFiles()) {
    await mkdir(dirname(join(root, file)), { recursive: true });
    await cp(join(repoRoot, file), join(root, file));
  }
  await commitCopy(root);
  await symlink(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  for (const dir of await workspaceDirs()) {
    const modules = join(repoRoot, dir, 'node_modules');
    if (existsSync(modules)) await cp(modules, join(root, dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  }
  /**
   * Runs `command` in the copy; resolves with its output, rejects with it.
   * @param {string} command
   * @param {string[]} args
   */
  const exec = (command, args) => run(command, args, { cwd: root, env: copyEnv(), maxBuffer: 64 * 1024 * 1024 });
  return {
    root,
    exec,
    /** @param {string[]} args */
    pnpm: (args) => {
      const { command, prefix } = pnpm();
      return exec(command, [...prefix, ...args]);
    },
    /** @param {string[]} args */
    turbo: (args) => exec(join(root, 'node_modules', '.bin', 'turbo'), args),
    remove: () => rm(base, { recursive: true, force: true }),
  };
}

/**
 * Makes the copy a git repository of one commit: turbo hashes a package's files through git (what .gitignore
 * leaves, the way it does here); without it, it would hash its own logs and the linked node_modules too.
 * @param {string} root
 */
async function commitCopy(root) {
  const git = (/** @type {string[]} */ args) => run('git', args, { cwd: root });
  await git(['init', '--quiet']);
  await git(['add', '--all']);
  await git(['-c', 'user.name=round-trip', '-c', 'user.email=round-trip@localhost', 'commit', '--quiet', '--no-verify', '-m', 'copy']);
}

/** The workspace's package folders (pnpm-workspace.yaml's globs are one level deep: `spec`, `packages/*`, `bench`). */
async function workspaceDirs() {
  const dirs = ['spec', 'bench'];
  for (const name of await readdir(join(repoRoot, 'packages'))) dirs.push(join('packages', name));
  return dirs;
}

/**
 * The first step: two widget queries through the copy's proxy (its CLI, as `pnpm proxy --capture` runs it) in
 * front of a stand-in gateway; resolves with the record it captured.
 * @param {string} root the copy
 * @param {string} captureDir
 */
export async function captureWidget(root, captureDir) {
  const upstream = await startStandIn((_req, body, res) => json(res, 200, widgetAnswer(JSON.parse(body.toString()).pageIndex)));
  const proxy = spawn(
    process.execPath,
    [join(root, 'packages', 'proxy', 'src', 'cli.js'), '--upstream', upstream.url, '--port', '0', '--capture', captureDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const url = await listeningUrl(proxy);
    for (const pageIndex of ['1', '2']) {
      const response = await fetch(`${url}${WIDGET.path}?access_token=round-trip-token`, {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify({ ...WIDGET.body, pageIndex }),
      });
      await response.arrayBuffer();
    }
  } finally {
    // Ctrl-C: the proxy writes what it captured and exits.
    const exited = new Promise((resolve) => proxy.once('exit', resolve));
    proxy.kill('SIGINT');
    await exited;
    await upstream.close();
  }
  const records = (await readdir(captureDir)).filter((file) => file.endsWith('.json'));
  if (records.length !== 1) throw new Error(`expected one captured record in ${captureDir}, found ${records.length}`);
  return join(captureDir, records[0] ?? '');
}

/**
 * The URL the proxy's CLI prints once it listens.
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Promise<string>}
 */
function listeningUrl(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const url = out.match(/listening on (http:\/\/\S+)/)?.[1];
      if (url) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code}) before it listened: ${out}`)));
  });
}
