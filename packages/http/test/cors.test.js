// CORS on its own: which origins may call, what a preflight is answered, and that nothing a hostile preflight
// sends (an odd Origin, a huge or malformed Access-Control-Request-Headers) is read back into the answer.
import { request } from 'node:http';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { close, createCors, guardedServer, KIT_HEADERS, listen, parseCors, Refusal } from '../src/index.js';

/** @type {import('node:http').Server[]} */
const servers = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => close(server)));
});

const METHODS = ['POST', 'GET'];
const HEADERS = ['Content-Type', 'groupName', 'accountid', 'X-GW-Router-Addr'];

/** A guarded server with CORS for `origins`, whose handler answers 200 on `/ok` and refuses anything else with a 401. */
async function corsServer(origins) {
  const cors = createCors({ origins, methods: METHODS, headers: HEADERS });
  const server = guardedServer(
    async (req, res) => {
      req.resume();
      if (req.url !== '/ok') throw new Refusal(401, 'No credentials.');
      res.writeHead(200, { 'content-type': 'application/json', [KIT_HEADERS.action]: 'ok' }).end('{}');
    },
    { name: 'test', log: () => {}, cors },
  );
  servers.push(server);
  return listen(server, 0, '127.0.0.1');
}

/**
 * Sends one request with raw header values (Node's request writes latin1 bytes as they are); resolves with the
 * answer's status, headers and body.
 * @returns {Promise<{ status: number, headers: import('node:http').IncomingHttpHeaders, body: string }>}
 */
function send(url, method, path, headers) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const preflight = (url, headers) => send(url, 'OPTIONS', '/ok', { 'access-control-request-method': 'POST', ...headers });

describe('parseCors', () => {
  it('takes "off", "*", or a list of origins (normalised, without repeats)', () => {
    expect(parseCors(undefined, '*')).toBe('*');
    expect(parseCors(undefined, false)).toBe(false);
    expect(parseCors('off', '*')).toBe(false);
    expect(parseCors(' * ', false)).toBe('*');
    expect(parseCors('http://localhost:5173, HTTPS://App.Example.com/,http://localhost:5173', false)).toEqual([
      'http://localhost:5173',
      'https://app.example.com',
    ]);
  });

  it.each([
    ['', /list of origins/],
    [',', /list of origins/],
    ['localhost:5173', /not an http\(s\) origin|not an origin/],
    ['ftp://files.example.com', /not an http\(s\) origin/],
    ['http://localhost:5173/app', /did you mean http:\/\/localhost:5173/],
    ['http://user:pw@localhost:5173', /not an origin/],
    ['http://localhost:80', /did you mean http:\/\/localhost\b/],
    ['null', /not an origin/],
  ])('refuses %j, saying why', (value, reason) => {
    expect(() => parseCors(value, '*')).toThrow(reason);
  });
});

describe('createCors on a guarded server', () => {
  it('answers a preflight with the methods and headers of the calls, for any origin when "*"', async () => {
    const url = await corsServer('*');
    const answer = await preflight(url, { origin: 'http://localhost:5173', 'access-control-request-headers': 'content-type,groupname' });
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe('*');
    expect(answer.headers['access-control-allow-methods']).toBe('POST, GET');
    expect(answer.headers['access-control-allow-headers']).toBe(HEADERS.join(', '));
    expect(answer.headers['access-control-max-age']).toBe('600');
  });

  it("puts the CORS headers on every answer, the handler's refusals included, exposing the kit's headers", async () => {
    const url = await corsServer('*');
    for (const path of ['/ok', '/refused']) {
      const answer = await send(url, 'POST', path, { origin: 'http://localhost:5173' });
      expect(answer.headers['access-control-allow-origin'], path).toBe('*');
      expect(answer.headers['access-control-expose-headers']).toBe('x-qzz-action, x-qzz-sandbox, x-qzz-fault, retry-after');
    }
    expect((await send(url, 'POST', '/refused', { origin: 'http://a.test' })).status).toBe(401);
  });

  it('with a list, answers only the listed origins, echoing the one that asked, and varies on Origin', async () => {
    const url = await corsServer(['http://localhost:5173', 'https://app.example.com']);
    const listed = await preflight(url, { origin: 'https://app.example.com' });
    expect(listed.status).toBe(204);
    expect(listed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(listed.headers.vary).toBe('Origin');
    const other = await preflight(url, { origin: 'http://evil.test' });
    expect(other.status).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.parse(other.body).detail).toMatch(/not among those the server allows/);
    const call = await send(url, 'POST', '/ok', { origin: 'http://evil.test' });
    expect(call.status).toBe(200);
    expect(call.headers['access-control-allow-origin']).toBeUndefined();
    expect(call.headers.vary).toBe('Origin');
  });

  it('leaves an OPTIONS request that is not a preflight (no Origin, or no requested method) to the handler', async () => {
    const url = await corsServer('*');
    expect((await send(url, 'OPTIONS', '/refused', { 'access-control-request-method': 'POST' })).status).toBe(401);
    expect((await send(url, 'OPTIONS', '/refused', { origin: 'http://a.test' })).status).toBe(401);
  });

  it('answers hostile preflights from its fixed lists: odd origins and huge, malformed request-header lists', async () => {
    const url = await corsServer(['http://localhost:5173']);
    const open = await corsServer('*');
    const huge = `${'x-junk,'.repeat(1_500)}\u00ff\t;;==,,`;
    for (const [origin, requested] of [
      ['null', 'content-type'],
      ['http://localhost:5173.evil.test', 'content-type'],
      ['http://LOCALHOST:5173', 'content-type'],
      ['http://localhost:5173/', huge],
      [`http://${'a'.repeat(8_000)}`, 'a'],
      ['\u00e9\u00ff', '\u00ff\u00fe'],
    ]) {
      const listed = await preflight(url, { origin, 'access-control-request-headers': requested });
      expect(listed.status, origin.slice(0, 40)).toBe(403);
      expect(JSON.stringify(listed.headers) + listed.body).not.toContain(origin.length > 4 ? origin : '\u00e9');
      const any = await preflight(open, { origin, 'access-control-request-headers': requested });
      expect(any.status).toBe(204);
      expect(any.headers['access-control-allow-origin']).toBe('*');
      expect(any.headers['access-control-allow-headers']).toBe(HEADERS.join(', '));
    }
  });

  it('never echoes what a preflight sends, whatever it is (property)', async () => {
    const url = await corsServer(['http://localhost:5173']);
    // Latin1 without the characters Node refuses in a header value (controls and DEL).
    const char = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c));
    const value = fc.string({ unit: char, minLength: 9, maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(value, value, async (origin, requested) => {
        fc.pre(origin.trim() === origin && requested.trim() === requested && origin !== 'http://localhost:5173');
        const answer = await preflight(url, { origin, 'access-control-request-headers': requested });
        expect(answer.status).toBe(403);
        const written = JSON.stringify(answer.headers) + answer.body;
        expect(written).not.toContain(JSON.stringify(origin).slice(1, -1));
        expect(written).not.toContain(JSON.stringify(requested).slice(1, -1));
      }),
      { numRuns: 100 },
    );
  });
});
