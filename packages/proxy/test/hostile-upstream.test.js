// An upstream that writes raw bytes on a TCP socket: answers Node's client takes but its server cannot (or must
// not) relay. Each gets the caller a 502 with a reason, within the timeout, and the proxy keeps serving: every
// case is followed by a normal exchange that must still work.
import { once } from 'node:events';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../src/index.js';

const NORMAL = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}';
/** @type {Map<string, string>} raw answers by request path */
const answers = new Map();
/** @type {Buffer[]} what reached the upstream, per request */
const received = [];

let upstream;
let proxy;
const logs = [];
beforeAll(async () => {
  upstream = createServer((socket) => {
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      head = Buffer.concat([head, chunk]);
      if (!head.includes('\r\n\r\n')) return;
      received.push(head);
      const path = head.toString('latin1').split(' ')[1];
      socket.end(answers.get(path) ?? NORMAL, 'latin1');
      head = Buffer.alloc(0);
    });
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (upstream.address());
  // A timeout far longer than any answer here: a 502 that comes, comes at once, never by waiting it out.
  proxy = await startProxy({ upstream: `http://127.0.0.1:${port}`, port: 0, timeoutMs: 30_000, log: (l) => logs.push(l) });
});
afterAll(async () => {
  await proxy?.close();
  upstream?.close();
});

/** A GET through the proxy; fails the test rather than hanging when no answer comes. */
async function get(path, headers = {}) {
  const response = await fetch(`${proxy.url}${path}`, { headers, signal: AbortSignal.timeout(20_000) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function stillServes() {
  const normal = await get('/normal');
  expect(normal).toMatchObject({ status: 200, text: '{}' });
}

describe('an upstream answer Node will not relay', () => {
  it.each([
    ['status 99', 'HTTP/1.1 099 Low\r\ncontent-length: 2\r\n\r\n{}', /status 99 is outside 100–599/],
    ['status 600', 'HTTP/1.1 600 High\r\ncontent-length: 2\r\n\r\n{}', /status 600 is outside 100–599/],
    ['status 999', 'HTTP/1.1 999 High\r\ncontent-length: 2\r\n\r\n{}', /status 999 is outside 100–599/],
    ['NUL in the reason phrase', 'HTTP/1.1 200 O\x00K\r\ncontent-length: 2\r\n\r\n{}', /Invalid character in statusMessage/],
    ['0x01 in the reason phrase', 'HTTP/1.1 200 O\x01K\r\ncontent-length: 2\r\n\r\n{}', /Invalid character in statusMessage/],
    ['ESC in the reason phrase', 'HTTP/1.1 200 O\x1bK\r\ncontent-length: 2\r\n\r\n{}', /Invalid character in statusMessage/],
    ['DEL in the reason phrase', 'HTTP/1.1 200 O\x7fK\r\ncontent-length: 2\r\n\r\n{}', /Invalid character in statusMessage/],
    ['NUL in a header', 'HTTP/1.1 200 OK\r\nx-a: a\x00b\r\ncontent-length: 2\r\n\r\n{}', /HPE_INVALID_HEADER_TOKEN/],
    ['0x01 in a header', 'HTTP/1.1 200 OK\r\nx-a: a\x01b\r\ncontent-length: 2\r\n\r\n{}', /HPE_INVALID_HEADER_TOKEN/],
    ['ESC in a header', 'HTTP/1.1 200 OK\r\nx-a: a\x1bb\r\ncontent-length: 2\r\n\r\n{}', /HPE_INVALID_HEADER_TOKEN/],
    ['DEL in a header', 'HTTP/1.1 200 OK\r\nx-a: a\x7fb\r\ncontent-length: 2\r\n\r\n{}', /HPE_INVALID_HEADER_TOKEN/],
    [
      'a 101 with Upgrade',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello',
      /switched protocols \(101\)/,
    ],
    ['a bare 101', 'HTTP/1.1 101 Switching Protocols\r\n\r\n', /switched protocols \(101\)/],
    ['a status line that is not HTTP', 'ICY 200 OK\r\n\r\n{}', /could not be reached or broke off/],
  ])('%s: the caller gets a 502 with the reason, and the proxy serves on', async (name, raw, reason) => {
    const path = `/case-${name.replace(/[^a-z0-9]+/gi, '-')}`;
    answers.set(path, raw);
    const answer = await get(path);
    expect(answer.status).toBe(502);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.parse(answer.text).detail).toMatch(reason);
    await stillServes();
  });

  it('relays a 204 whole even when the upstream sends bytes after it', async () => {
    answers.set('/no-content', 'HTTP/1.1 204 No Content\r\ncontent-length: 2\r\n\r\n{}');
    const answer = await get('/no-content');
    expect(answer).toMatchObject({ status: 204, text: '' });
    await stillServes();
  });
});

describe('hop-by-hop headers (RFC 9110 §7.6.1)', () => {
  it("does not relay the headers the upstream's Connection header names", async () => {
    answers.set(
      '/connection-named',
      'HTTP/1.1 200 OK\r\nConnection: X-Hop, keep-alive\r\nX-Hop: this hop only\r\nX-End: for the caller\r\ncontent-length: 2\r\n\r\n{}',
    );
    const answer = await get('/connection-named');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-hop')).toBeNull();
    expect(answer.headers.get('x-end')).toBe('for the caller');
  });

  it("does not forward the headers the caller's Connection header names", async () => {
    // fetch refuses to send a Connection header: node:http sends what it is given.
    const headers = { Connection: 'x-caller-hop', 'X-Caller-Hop': 'this hop only', 'X-Caller-End': 'for the upstream' };
    const sent = request(`${proxy.url}/from-the-caller`, { headers });
    sent.end();
    const [response] = await once(sent, 'response');
    response.resume();
    expect(response.statusCode).toBe(200);
    const forwarded = String(received.at(-1)?.toString('latin1')).toLowerCase();
    expect(forwarded).not.toContain('x-caller-hop');
    expect(forwarded).toContain('x-caller-end: for the upstream');
  });
});
