// Answers with Content-Encoding: gzip, deflate or br are decoded for checking only, within the 1 MiB the proxy
// checks (a decompression bomb is reported as too large, never expanded past it), and forwarded byte for byte.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, createBrotliCompress, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../src/index.js';
import { startStandIn } from './standin.js';

const doc = JSON.parse(await readFile(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const SEED = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
const ACTION = 'pushOrderExecutionToSparePartsUse';
const requestBody = JSON.stringify(doc.components.examples[`${ACTION}_request`].value);
const answer = structuredClone(doc.components.examples[`${ACTION}_response`].value);
answer.data.material_entity[0].qty = 5; // a number where the spec says string
const plain = Buffer.from(JSON.stringify(answer));

/** 1 GiB of spaces, brotli-compressed to a few hundred KiB: a body no one should expand. */
async function brotliBomb() {
  const chunk = Buffer.alloc(16 * 2 ** 20, ' ');
  const compress = createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 1 } });
  const parts = [];
  compress.on('data', (part) => parts.push(part));
  const done = new Promise((resolve) => compress.on('end', resolve));
  for (let i = 0; i < 64; i++) compress.write(chunk);
  compress.end();
  await done;
  return Buffer.concat(parts);
}

/** The encoded answers by their Content-Encoding, served on `/<name>` under the seed route. */
const bodies = {
  gzip: ['gzip', gzipSync(plain)],
  deflate: ['deflate', deflateSync(plain)],
  'raw-deflate': ['deflate', deflateRawSync(plain)],
  br: ['br', brotliCompressSync(plain)],
  'br-then-gzip': ['br, gzip', gzipSync(brotliCompressSync(plain))],
  'gzip-bomb': ['gzip', gzipSync(Buffer.alloc(128 * 2 ** 20, ' '), { level: 9 })],
  'br-bomb': ['br', Buffer.alloc(0)],
  corrupt: ['gzip', Buffer.from('not gzip at all')],
  zstd: ['zstd', Buffer.from('(pretend zstd)')],
  constructor: ['constructor', Buffer.from('{}')],
  'empty-gzip': ['gzip', Buffer.alloc(0)],
};

let standIn;
let proxy;
const reports = [];
const logs = [];
beforeAll(async () => {
  bodies['br-bomb'][1] = await brotliBomb();
  standIn = await startStandIn((req, _body, res) => {
    const [encoding, bytes] = bodies[new URL(req.url ?? '/', 'http://x').searchParams.get('as') ?? 'gzip'];
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': bytes.length }).end(bytes);
  });
  proxy = await startProxy({ upstream: standIn.url, port: 0, onReport: (line) => reports.push(line), log: (line) => logs.push(line) });
});
afterAll(async () => {
  await proxy?.close();
  await standIn?.close();
});

/**
 * One exchange through the proxy, read as it came (fetch would decode it): the answer's bytes, and the report
 * lines it produced (a discrepancy seen before comes as a `repeat` line at the flush).
 */
async function exchange(as) {
  const before = reports.length;
  const sent = httpRequest(`${proxy.url}${SEED}?as=${as}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, deflate, br' },
  });
  sent.end(requestBody);
  const [response] = await once(sent, 'response');
  const chunks = [];
  for await (const chunk of response) chunks.push(chunk);
  await proxy.flush();
  return {
    status: response.statusCode,
    encoding: response.headers['content-encoding'],
    bytes: Buffer.concat(chunks),
    lines: reports.slice(before),
  };
}

describe('compressed answers', () => {
  it.each(['gzip', 'deflate', 'raw-deflate', 'br', 'br-then-gzip'])('%s: checked as if it came plain, forwarded as it came', async (as) => {
    const { status, encoding, bytes, lines } = await exchange(as);
    expect(status).toBe(200);
    expect(encoding).toBe(bodies[as][0]);
    expect(bytes.equals(bodies[as][1])).toBe(true);
    expect(lines.map(({ action, pattern, kind }) => ({ action, pattern, kind }))).toEqual([
      { action: ACTION, pattern: '/data/material_entity/*/qty', kind: 'type' },
    ]);
  });

  it.each([
    ['gzip-bomb', /^a gzip body that decodes to more than 1048576 bytes, forwarded untouched$/],
    ['br-bomb', /^a br body that decodes to more than 1048576 bytes, forwarded untouched$/],
    ['corrupt', /^a gzip body that does not decode \(Z_DATA_ERROR\), forwarded untouched$/],
    ['zstd', /^a body encoded with zstd, which the proxy does not decode, forwarded untouched$/],
    ['constructor', /^a body encoded with constructor, which the proxy does not decode, forwarded untouched$/],
  ])('%s: reported as not validated, never expanded, forwarded as it came', async (as, seen) => {
    const { bytes, lines } = await exchange(as);
    expect(bytes.equals(bodies[as][1])).toBe(true);
    expect(lines).toMatchObject([{ direction: 'response', kind: 'not-validated', seen: expect.stringMatching(seen) }]);
    // The checker's heap is far below the 1 GiB a bomb holds: expanded, it would have ended the checker.
    expect(logs.join('\n')).not.toMatch(/the checker stopped/);
  });

  it('an empty answer that names an encoding: nothing to decode, so no decoding failure is reported', async () => {
    const { bytes, lines } = await exchange('empty-gzip');
    expect(bytes.length).toBe(0);
    expect(lines).toMatchObject([{ direction: 'response', kind: 'not-json', seen: 'a application/json body' }]);
  });
});
