// The mock in-process (createMockFetch) and as MSW handlers (@qzz/mock/msw): no port, no socket, the HTTP mock's
// answers. test/differential.test.js compares the two request by request; here is what only the in-process forms do.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpResponse, http as mswHttp } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockFetch, MAX_BODY_BYTES } from '../src/index.js';
import { createMockHandlers } from '../src/msw.js';

const SEED = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
const SEED_BODY = JSON.stringify({ operation: 'push', billdata: { id: '1634800180022794240' } });
const SAVE = '/app/mxoc_0001_mxoc_pq/pq_orderexecution_operate';
const CREDENTIALS = { groupName: 'g', accountid: 'a', 'X-GW-Router-Addr': 'https://tf.jdy.com' };
const JSON_CALL = { method: 'POST', headers: { ...CREDENTIALS, 'content-type': 'application/json' } };

let mockFetch;
const logged = [];
beforeAll(async () => {
  mockFetch = await createMockFetch({ log: (line) => logged.push(line) });
});
afterAll(() => mockFetch?.close());

describe('createMockFetch', () => {
  it.each([
    ['a string under any origin', (path) => mockFetch(`https://gateway.test${path}`, { ...JSON_CALL, body: SEED_BODY })],
    ['a URL', (path) => mockFetch(new URL(path, 'http://localhost:5173'), { ...JSON_CALL, body: SEED_BODY })],
    ['a Request', (path) => mockFetch(new Request(`https://api.kingdee.com${path}`, { ...JSON_CALL, body: SEED_BODY }))],
  ])('answers %s as the mock does', async (_name, call) => {
    const res = await call(`${SEED}?access_token=t`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-qzz-action')).toBe('pushOrderExecutionToSparePartsUse');
    expect((await res.json()).data.billno).toBe('BJLL-20230306-0001');
  });

  it('refuses a body over the limit with 413, as the HTTP mock refuses a chunked one', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        sent += chunk.length;
        controller.enqueue(chunk);
        // Never closed: the mock must stop reading past the limit, not wait for the end.
      },
    });
    const res = await mockFetch(`http://x${SEED}?access_token=t`, { ...JSON_CALL, body, duplex: 'half' });
    expect(res.status).toBe(413);
    expect((await res.json()).detail).toBe(`The body exceeds ${MAX_BODY_BYTES} bytes.`);
    expect(sent).toBeLessThanOrEqual(MAX_BODY_BYTES + 2 * chunk.length);
  });

  it("ignores a caller's framing headers: the body's own length counts", async () => {
    // No body, whatever Content-Length says: so no Content-Type is needed (a body without one is 415), and the
    // missing body is the schema's 422.
    const res = await mockFetch(`http://x${SEED}?access_token=t`, {
      method: 'POST',
      headers: { ...CREDENTIALS, 'content-length': '10', 'transfer-encoding': 'chunked' },
    });
    expect(res.status).toBe(422);
  });

  it.each([
    ['a method no HTTP parser reads', { method: 'BREW' }, 400, /not valid HTTP\/1\.1/],
    ['bytes that are not UTF-8', { ...JSON_CALL, body: Buffer.from('{"a":"\xff"}', 'latin1') }, 400, /not valid UTF-8/],
    [
      'another Content-Type',
      { ...JSON_CALL, headers: { ...CREDENTIALS, 'content-type': 'text/xml' }, body: '<a/>' },
      415,
      /application\/json/,
    ],
  ])('refuses %s as the HTTP mock does', async (_name, init, status, reason) => {
    const res = await mockFetch(`http://x${SEED}?access_token=t`, init);
    expect(res.status).toBe(status);
    expect((await res.json()).detail).toMatch(reason);
  });

  it('answers HEAD with headers and no body', async () => {
    const res = await mockFetch(`http://x${SEED}`, { method: 'HEAD' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.text()).toBe('');
  });

  it('rejects as fetch does when the signal aborts, and sends nothing once it has', async () => {
    const before = logged.length;
    const reason = new DOMException('gave up', 'AbortError');
    await expect(
      mockFetch(`http://x${SEED}?access_token=t`, { ...JSON_CALL, body: SEED_BODY, signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    expect(logged.length).toBe(before);
    await expect(mockFetch('not a url')).rejects.toThrow(TypeError);
  });

  it('keeps a sandbox in a state file, on disk once closed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qzz-inproc-'));
    try {
      const state = join(dir, 'state.json');
      const first = await createMockFetch({ sandbox: true, state });
      const saved = await (
        await first(`https://any.example${SAVE}?access_token=t`, {
          ...JSON_CALL,
          body: JSON.stringify({ operation: 'save', billdata: { remark: 'in-process' } }),
        })
      ).json();
      await first.close();
      expect(await readFile(state, 'utf8')).toContain(saved.data.id);
      const second = await createMockFetch({ sandbox: true, state });
      const bills = await (await second('https://other.example/__sandbox/bills?access_token=t', { headers: CREDENTIALS })).json();
      await second.close();
      expect(bills.bills.map((b) => b.id)).toContain(saved.data.id);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('createMockHandlers (MSW)', () => {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());

  it('answers requests under the base URL, its path prefix left out, and no others', async () => {
    server.use(
      ...(await createMockHandlers({ baseUrl: 'https://gateway.test/mock/', mock: mockFetch })),
      mswHttp.all('https://elsewhere.test/*', () => HttpResponse.text('not the mock')),
    );
    const res = await fetch(`https://gateway.test/mock${SEED}?access_token=t`, { ...JSON_CALL, body: SEED_BODY });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-qzz-action')).toBe('pushOrderExecutionToSparePartsUse');
    const outside = await fetch(`https://elsewhere.test${SEED}`, { method: 'POST' });
    expect(await outside.text()).toBe('not the mock');
    // A path `//x` under the prefix stays a path (the HTTP mock's 400), never a host.
    const doubled = await fetch(`https://gateway.test/mock//evil.test${SEED}`, { method: 'POST' });
    expect(doubled.status).toBe(400);
  });

  it('starts a mock of its own with the options given (a sandbox here)', async () => {
    server.resetHandlers(...(await createMockHandlers({ baseUrl: 'https://sandbox.test', sandbox: true })));
    const post = (path, body) => fetch(`https://sandbox.test${path}?access_token=t`, { ...JSON_CALL, body: JSON.stringify(body) });
    const saved = await (await post(SAVE, { operation: 'save', billdata: { remark: 'through msw' } })).json();
    const pushed = await post(SEED, { operation: 'push', entryPk: saved.data.id, billdata: { id: saved.data.id } });
    expect(pushed.headers.get('x-qzz-sandbox')).toBe('from-state');
    expect((await pushed.json()).data.remark).toBe('through msw');
  });
});
