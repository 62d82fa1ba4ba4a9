// A local stand-in for the gateway: a plain node:http server on a free loopback port whose routes are given
// by each test. It records what reached it (method, target, headers, body bytes) so forwarding can be checked;
// `manyFields` builds the heavy bodies the tests send.
import { createServer } from 'node:http';

/**
 * @param {(req: import('node:http').IncomingMessage, body: Buffer, res: import('node:http').ServerResponse) => void} answer
 */
export async function startStandIn(answer) {
  /** @type {{ method: string, url: string, rawHeaders: string[], body: Buffer }[]} */
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body });
      answer(req, body, res);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      }),
  };
}

/** Writes a JSON answer. */
export function json(res, status, value, headers = {}) {
  const text = JSON.stringify(value);
  res
    .writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
    .end(text);
}

/**
 * A JSON object of `count` short fields no schema lists (`"f1a2b":10`): 80,000 of them make about 850 KiB,
 * under the 1 MiB the proxy checks, each one to check, report and capture.
 * @param {number} count
 */
export const manyFields = (count) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`f${i.toString(36).padStart(4, '0')}`, 10]));
