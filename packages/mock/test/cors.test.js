// CORS on the mock and the sandbox: on by default (browsers call them during development), narrowed to a list
// of origins or turned off, from startMock and from the CLI. The browser's own view: packages/docs/test/browser-client.test.js.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { requestShape } from '@qzz/spec/actions';
import { afterEach, describe, expect, it } from 'vitest';
import { startMock } from '../src/index.js';
import { startCli } from './helpers.js';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const ROUTE = '/mxoc_qm/inspect_query';
const PAGE = 'http://localhost:5173';
const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/** @type {{ close(): Promise<unknown> }[]} */
const started = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

async function mock(options) {
  const server = await startMock({ port: 0, ...options });
  started.push(server);
  return server.url;
}

const preflight = (url, origin = PAGE) =>
  fetch(`${url}${ROUTE}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,groupname,accountid' },
  });

describe('CORS on the mock', () => {
  it.each([
    ['stateless', {}],
    ['sandbox', { sandbox: true }],
  ])('answers a preflight by default (%s) with the methods and headers of the spec calls, Prefer too', async (_mode, options) => {
    const answer = await preflight(await mock(options));
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    const allowed = answer.headers.get('access-control-allow-headers')?.split(', ');
    const { headers, methods } = requestShape(doc);
    expect(allowed).toEqual([...headers, 'Prefer']);
    // The four credentials (access_token rides in the query), the body's type and the gateway's signature headers.
    expect(allowed).toEqual(
      expect.arrayContaining([
        'groupName',
        'accountid',
        'X-GW-Router-Addr',
        'Content-Type',
        'X-Api-ClientID',
        'X-Api-Signature',
        'X-Api-Nonce',
      ]),
    );
    expect(answer.headers.get('access-control-allow-methods')).toBe(methods.join(', '));
  });

  it("exposes the mock's own headers on an answer, and a refusal carries CORS too", async () => {
    const url = await mock({ sandbox: true });
    const call = await fetch(`${url}${ROUTE}?access_token=t`, {
      method: 'POST',
      headers: {
        origin: PAGE,
        'content-type': 'application/json',
        groupName: 'g',
        accountid: 'a',
        'X-GW-Router-Addr': 'https://tf.jdy.com',
      },
      body: JSON.stringify({ id: '1895048896518849536' }),
    });
    expect(call.status).toBe(200);
    expect(call.headers.get('access-control-allow-origin')).toBe('*');
    expect(call.headers.get('access-control-expose-headers')).toMatch(/x-qzz-action, x-qzz-sandbox, x-qzz-fault, retry-after/);
    const refused = await fetch(`${url}${ROUTE}`, {
      method: 'POST',
      headers: { origin: PAGE, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers only the origins it is given', async () => {
    const url = await mock({ cors: [PAGE] });
    expect((await preflight(url)).headers.get('access-control-allow-origin')).toBe(PAGE);
    expect((await preflight(url, 'http://localhost:5174')).status).toBe(403);
  });

  it('with CORS off, adds no CORS header and treats a preflight as any OPTIONS request (405)', async () => {
    const url = await mock({ cors: false });
    const answer = await preflight(url);
    expect(answer.status).toBe(405);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('takes --cors on the command line, and refuses a value that is not an origin', async () => {
    const listed = await startCli(['--port', '0', '--quiet', '--cors', PAGE]);
    const off = await startCli(['--port', '0', '--quiet', '--cors', 'off']);
    try {
      expect((await preflight(listed.url)).headers.get('access-control-allow-origin')).toBe(PAGE);
      expect((await preflight(listed.url, 'http://evil.test')).status).toBe(403);
      expect((await preflight(off.url)).status).toBe(405);
    } finally {
      await Promise.all([listed.stop(), off.stop()]);
    }
    const refused = spawnSync(process.execPath, [CLI, '--port', '0', '--cors', 'http://localhost:5173/app'], { encoding: 'utf8' });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--cors: .*did you mean http:\/\/localhost:5173\?/);
  });
});
