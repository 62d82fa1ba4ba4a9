// CORS on the proxy: off unless asked (it fronts a real gateway). When asked, it answers preflights itself (the
// gateway never sees one) and forwards everything else unchanged, adding only its CORS headers to the answer.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxy } from '../src/index.js';
import { json, startStandIn } from './standin.js';

const PAGE = 'http://localhost:5173';
const ROUTE = '/mxoc_qm/inspect_query?access_token=tok';

/** @type {{ close(): Promise<unknown> }[]} */
const started = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

/** A stand-in gateway that answers every request with its own CORS header, and a proxy in front of it. */
async function proxied(cors) {
  const gateway = await startStandIn((_req, _body, res) =>
    json(
      res,
      200,
      { success: true, data: {} },
      { 'access-control-allow-origin': 'https://gateway.example', vary: 'Accept-Encoding', 'set-cookie': ['a=1', 'b=2'] },
    ),
  );
  started.push(gateway);
  const proxy = await startProxy({ upstream: gateway.url, port: 0, ...(cors === undefined ? {} : { cors }) });
  started.push(proxy);
  return { gateway, proxy };
}

/** One request; resolves with the answer's status and raw headers. */
function send(url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${ROUTE}`, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const PREFLIGHT = { origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,groupname' };
const CALL = { origin: PAGE, 'content-type': 'application/json', groupName: 'g', accountid: 'a', 'X-GW-Router-Addr': 'https://tf.jdy.com' };

describe('CORS on the proxy', () => {
  it('is off by default: a preflight is forwarded, and answers carry only what the gateway sent', async () => {
    const { gateway, proxy } = await proxied(undefined);
    const answer = await send(proxy.url, 'OPTIONS', PREFLIGHT);
    expect(gateway.received.map((r) => r.method)).toEqual(['OPTIONS']);
    expect(answer.headers['access-control-allow-origin']).toBe('https://gateway.example');
    expect(answer.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('when asked, answers the preflight itself, never forwarding it', async () => {
    const { gateway, proxy } = await proxied([PAGE]);
    const answer = await send(proxy.url, 'OPTIONS', PREFLIGHT);
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe(PAGE);
    expect(answer.headers['access-control-allow-headers']).toMatch(/\bgroupName\b.*\baccountid\b.*\bX-GW-Router-Addr\b/);
    expect((await send(proxy.url, 'OPTIONS', { ...PREFLIGHT, origin: 'http://evil.test' })).status).toBe(403);
    expect(gateway.received).toEqual([]);
  });

  it('forwards every other request unchanged, and puts its own CORS headers in place of the gateway’s', async () => {
    const { gateway, proxy } = await proxied('*');
    const body = JSON.stringify({ id: '1895048896518849536' });
    const answer = await send(proxy.url, 'POST', CALL, body);
    expect(answer.status).toBe(200);
    const [received] = gateway.received;
    expect(received.method).toBe('POST');
    expect(received.url).toBe(ROUTE);
    expect(received.body.toString()).toBe(body);
    const sent = Object.fromEntries(Object.entries(CALL).map(([k, v]) => [k.toLowerCase(), v]));
    const forwarded = Object.fromEntries(
      received.rawHeaders.flatMap((v, i, all) => (i % 2 === 0 && v.toLowerCase() in sent ? [[v.toLowerCase(), all[i + 1]]] : [])),
    );
    expect(forwarded).toEqual(sent);
    expect(answer.headers['access-control-allow-origin']).toBe('*');
    expect(answer.headers['access-control-expose-headers']).toMatch(/x-qzz-action/);
    // The gateway's other headers pass as they came, repeated ones too.
    expect(answer.headers.vary).toBe('Accept-Encoding');
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    // An OPTIONS that is not a preflight (no requested method) is the gateway's, as before.
    await send(proxy.url, 'OPTIONS', { origin: PAGE });
    expect(gateway.received.map((r) => r.method)).toEqual(['POST', 'OPTIONS']);
  });

  it('keeps Vary: Origin beside the gateway’s Vary when it answers a list of origins', async () => {
    const { proxy } = await proxied([PAGE]);
    const answer = await send(proxy.url, 'POST', CALL, '{}');
    const vary = answer.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1].toLowerCase() === 'vary');
    expect(vary).toEqual(['Accept-Encoding', 'Origin']);
    expect(answer.headers['access-control-allow-origin']).toBe(PAGE);
  });

  it('takes --cors on the command line, and refuses what is not an origin', async () => {
    const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
    const refused = await promisify(execFile)(process.execPath, [cli, '--upstream', 'http://127.0.0.1:1', '--cors', 'nope']).catch(
      (e) => e,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--cors: "nope" is not an origin/);
  });
});
