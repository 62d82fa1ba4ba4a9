// `qzz-proxy` (what `pnpm proxy` runs): refuses bad options and unwritable folders with a reason, serves otherwise.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startStandIn } from './standin.js';

const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const run = (...args) =>
  promisify(execFile)(process.execPath, [cli, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

let dir;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('qzz-proxy', () => {
  it('needs an upstream, and an http(s) one without credentials', async () => {
    expect(await run()).toMatchObject({ code: 2, stderr: expect.stringMatching(/--upstream is required/) });
    expect(await run('--upstream', 'ftp://x')).toMatchObject({ code: 1, stderr: expect.stringMatching(/must use http or https/) });
    const withSecret = await run('--upstream', 'https://user:s3cret@api.kingdee.com');
    expect(withSecret).toMatchObject({ code: 1, stderr: expect.stringMatching(/takes no credentials/) });
    expect(withSecret.stderr).not.toContain('s3cret');
    expect(await run('--upstream', 'http://127.0.0.1:1', '--port', '70000')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--port must be a whole number/),
    });
  });

  it.each(['0', '1.5', '2147483648', '99999999999999'])('refuses --timeout %s, which no timer keeps', async (timeout) => {
    // Past 2^31 - 1 ms, Node's timers fire at once: every call would have been a 504.
    expect(await run('--upstream', 'http://127.0.0.1:1', '--port', '0', '--timeout', timeout)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--timeout must be a whole number of milliseconds from 1 to 2147483647/),
    });
  });

  it('stops at start-up when the capture folder cannot be written', async () => {
    const file = join(dir, 'not-a-folder');
    await writeFile(file, '');
    const result = await run('--upstream', 'http://127.0.0.1:1', '--port', '0', '--capture', join(file, 'captures'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Cannot write captures to .*not-a-folder\/captures: (ENOTDIR|EEXIST)\. Pick a folder this user can write/,
    );
  });

  it('serves until stopped, and says where', async () => {
    const upstream = await startStandIn((_req, _body, res) => json(res, 200, { ok: true }));
    const child = spawn(process.execPath, [cli, '--upstream', upstream.url, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const port = /listening on http:\/\/localhost:([0-9]+)/.exec(out)?.[1];
          if (port) resolve(`http://127.0.0.1:${port}`);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      const response = await fetch(`${url}/anything`, { method: 'POST', body: '{}' });
      expect(await response.json()).toEqual({ ok: true });
    } finally {
      child.kill('SIGTERM');
      await upstream.close();
    }
  });
});
