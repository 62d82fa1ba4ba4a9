// The docs server's precompressed copies: content negotiation on Accept-Encoding (q-values, `identity`, `*`, no
// header), the headers that make caches keep the right copy (Vary, Content-Length, Content-Encoding), long
// caching of content-named files only, and HEAD answering as GET without the body.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash, precompress, writeHashedAsset } from '../src/assets.js';
import { chooseEncoding, startDocsServer } from '../src/serve.js';

/** One request over loopback; resolves with status, headers and the raw (undecoded) body. */
function fetchRaw(url, path, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('chooseEncoding', () => {
  const both = ['br', 'gzip'];
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['GZIP;Q=1', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br;q=0.5, gzip;q=0.5', 'br'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['identity', 'identity'],
    ['identity;q=0.5, gzip;q=0.1', 'identity'],
    ['*', 'br'],
    ['*;q=0.2, br;q=0', 'gzip'],
    ['deflate', 'identity'],
    ['identity;q=0, br', 'br'],
    ['br;q=2, gzip', 'gzip'],
    ['br;q=abc, gzip;q=0.3', 'gzip'],
    ['br;q=0.0001', 'identity'],
  ])('%j → %s', (header, expected) => {
    expect(chooseEncoding(header, both)).toBe(expected);
  });

  it('refuses only when identity is refused and no copy is acceptable', () => {
    expect(chooseEncoding('identity;q=0', [])).toBeNull();
    expect(chooseEncoding('identity;q=0', both)).toBeNull();
    expect(chooseEncoding('*;q=0', both)).toBeNull();
    expect(chooseEncoding('*;q=0, gzip', both)).toBe('gzip');
    expect(chooseEncoding('*;q=0, identity', both)).toBe('identity');
  });
});

describe('the docs server with precompressed copies', () => {
  let docs;
  let root;
  let assetPath;
  const page = `<!doctype html><title>t</title>${'<p>轻智造 docs</p>'.repeat(2000)}`;
  const script = `export const x = ${JSON.stringify('a'.repeat(5000))};`;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'qzz-docs-'));
    writeFileSync(join(root, 'index.html'), page);
    assetPath = writeHashedAsset(root, 'lib', '.js', script).slice(1);
    mkdirSync(join(root, 'img'));
    writeFileSync(join(root, 'img', 'x.png'), Buffer.alloc(4000, 7));
    writeFileSync(join(root, 'plain.json'), '{}'); // too small to gain anything: no copies written
    precompress(root);
    docs = await startDocsServer({ port: 0, root, log: () => {} });
  });
  afterAll(() => docs?.close());

  it('names a content-named file by its content', () => {
    expect(assetPath).toBe(`/assets/lib.${contentHash(script)}.js`);
  });

  it('sends brotli to a browser that accepts it, with its own length and Vary', async () => {
    const answer = await fetchRaw(docs.url, '/index.html', { 'accept-encoding': 'gzip, deflate, br' });
    expect(answer.headers['content-encoding']).toBe('br');
    expect(answer.headers.vary).toBe('Accept-Encoding');
    expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
    expect(answer.body.length).toBeLessThan(Buffer.byteLength(page) / 10);
    expect(brotliDecompressSync(answer.body).toString()).toBe(page);
    expect(answer.headers['cache-control']).toBe('no-cache');
  });

  it('sends gzip where brotli is refused or weighs less', async () => {
    for (const header of ['gzip', 'br;q=0.1, gzip;q=0.9', 'br;q=0, *']) {
      const answer = await fetchRaw(docs.url, '/', { 'accept-encoding': header });
      expect(answer.headers['content-encoding'], header).toBe('gzip');
      expect(gunzipSync(answer.body).toString()).toBe(page);
      expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
    }
  });

  it('sends the file itself without the header, for identity, or for codings it has no copy in; still with Vary', async () => {
    for (const headers of [
      {},
      { 'accept-encoding': 'identity' },
      { 'accept-encoding': 'deflate, zstd' },
      { 'accept-encoding': 'br;q=0, gzip;q=0' },
    ]) {
      const answer = await fetchRaw(docs.url, '/index.html', headers);
      expect(answer.headers['content-encoding'], JSON.stringify(headers)).toBeUndefined();
      expect(answer.body.toString()).toBe(page);
      expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(page));
      expect(answer.headers.vary).toBe('Accept-Encoding');
    }
  });

  it('answers 406 when identity is refused and no acceptable copy exists', async () => {
    const answer = await fetchRaw(docs.url, '/plain.json', { 'accept-encoding': 'identity;q=0' });
    expect(answer.status).toBe(406);
    expect(JSON.parse(answer.body.toString()).detail).toMatch(/content coding/);
    expect((await fetchRaw(docs.url, '/index.html', { 'accept-encoding': 'identity;q=0, br' })).headers['content-encoding']).toBe('br');
  });

  it('neither compresses nor varies a file that has no copies (an image, a tiny file)', async () => {
    for (const path of ['/img/x.png', '/plain.json']) {
      const answer = await fetchRaw(docs.url, path, { 'accept-encoding': 'br, gzip' });
      expect(answer.headers['content-encoding'], path).toBeUndefined();
      expect(answer.headers.vary, path).toBeUndefined();
    }
  });

  it('caches content-named files for good, and only them', async () => {
    const asset = await fetchRaw(docs.url, assetPath, { 'accept-encoding': 'br' });
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(brotliDecompressSync(asset.body).toString()).toBe(script);
    expect((await fetchRaw(docs.url, '/img/x.png')).headers['cache-control']).toBe('no-cache');
  });

  it('answers HEAD with the headers GET would send, and no body', async () => {
    for (const headers of [{ 'accept-encoding': 'br' }, { 'accept-encoding': 'gzip' }, {}]) {
      const get = await fetchRaw(docs.url, '/index.html', headers);
      const head = await fetchRaw(docs.url, '/index.html', headers, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      for (const name of ['content-length', 'content-encoding', 'vary', 'content-type', 'cache-control'])
        expect(head.headers[name], `${name} ${JSON.stringify(headers)}`).toBe(get.headers[name]);
    }
  });
});
