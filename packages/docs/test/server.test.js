// The docs server and `pnpm start` as an attacker meets them: malformed targets, other methods, a server that
// dies. Every refusal is a 4xx that says why; nothing a client sends stops either server.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDocsServer } from '../src/serve.js';

const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Sends raw bytes to `url`'s port; resolves with the status and body once the server closes. */
function raw(url, bytes) {
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.write(Buffer.from(bytes, 'latin1')));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      data += chunk;
    });
    const done = () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]) || undefined, head, body: rest.join('\r\n\r\n') });
    };
    socket.on('end', done);
    socket.on('error', done);
    setTimeout(() => socket.destroy(), 3_000).unref();
  });
}
const get = (url, target, method = 'GET') => raw(url, `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);

describe('the docs server', () => {
  let docs;
  const logged = [];
  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'qzz-docs-'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    docs = await startDocsServer({ port: 0, root, log: (line) => logged.push(line) });
  });
  afterAll(() => docs?.close());

  it.each(['/%', '/%ff', '/%E0%A4%A', '/%C0%AF', '/index.html%', '//[', '//a:99999/x', '//index.html'])(
    'answers 400 that says why to %s, and keeps serving',
    async (target) => {
      const answer = await get(docs.url, target);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).detail).toMatch(/request (path|target)/);
      expect((await get(docs.url, '/')).status).toBe(200);
    },
  );

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])('answers %s with 405 and Allow: GET, HEAD', async (method) => {
    const answer = await get(docs.url, '/', method);
    expect(answer.status).toBe(405);
    expect(answer.head).toMatch(/\r\nallow: GET, HEAD\r\n/i);
  });

  it('answers 404 that says why, and never serves outside its folder', async () => {
    for (const target of ['/nope.html', '/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json']) {
      const answer = await get(docs.url, target);
      expect(answer.status, target).toBe(404);
    }
    expect((await get(docs.url, '/index.html', 'HEAD')).status).toBe(200);
    expect(logged).toEqual([]);
  });
});

describe('pnpm start', () => {
  let stack;
  let output = '';
  beforeAll(async () => {
    stack = spawn(process.execPath, [join(repoDir, 'scripts', 'start.js'), '--docs-port', '0', '--mock-port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack.stdout.setEncoding('utf8').on('data', (text) => {
      output += text;
    });
    stack.stderr.setEncoding('utf8').on('data', (text) => {
      output += text;
    });
    await until(() => /mock\s+http/.test(output));
  });
  afterAll(() => stack?.kill('SIGINT'));

  async function until(condition) {
    for (let i = 0; i < 300 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(condition(), output).toBe(true);
  }
  const urlOf = (name) => new RegExp(`${name}\\s+(http://\\S+)`).exec(output)?.[1].replace('localhost', '127.0.0.1');

  it('keeps both servers up through malformed requests to each', async () => {
    for (const name of ['docs', 'mock']) {
      for (const target of ['/%', '//[', '/%C0%AF']) expect((await get(urlOf(name), target)).status).toBe(400);
    }
    expect((await get(urlOf('docs'), '/')).status).toBe(200);
    expect((await get(urlOf('mock'), '/nope', 'POST')).status).toBe(404);
  });

  it('keeps the mock serving when the docs server dies, and starts the docs again', async () => {
    const docsPid = Number(/^(\d+)/m.exec(await childPids(stack.pid, 'serve.js'))?.[1]);
    expect(docsPid).toBeGreaterThan(0);
    process.kill(docsPid, 'SIGKILL');
    await until(() => /docs is up again on (http:\/\/\S+)/.test(output));
    expect((await get(urlOf('mock'), '/nope', 'POST')).status).toBe(404);
    const again = String(/docs is up again on (http:\/\/\S+)/.exec(output)?.[1]).replace('localhost', '127.0.0.1');
    expect((await get(again, '/')).status).toBe(200);
  });
});

/** The pids (and command lines) of `parent`'s children whose command line holds `needle`, from /proc. */
async function childPids(parent, needle) {
  const { readdir, readFile } = await import('node:fs/promises');
  const lines = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== parent) continue;
    const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
    if (cmd.includes(needle)) lines.push(`${entry} ${cmd}`);
  }
  return lines.join('\n');
}

describe('the docs server with stalled headers', () => {
  it('answers 408 with a reason once its headers deadline passes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'qzz-docs-'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    const docs = await startDocsServer({ port: 0, root, headersTimeoutMs: 1_000, log: () => {} });
    try {
      const answer = await raw(docs.url, 'GET / HTTP/1.1\r\nHost: x\r\n');
      expect(answer.status).toBe(408);
      expect(JSON.parse(answer.body).detail).toMatch(/not received in time/);
    } finally {
      await docs.close();
    }
  });
});
