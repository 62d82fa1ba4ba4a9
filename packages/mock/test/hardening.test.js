// The mock as an attacker meets it: malformed targets, headers, content types, encodings, framing, stalled and
// oversized bodies, clients that hang up. Every refusal is a 4xx that says why, and the mock keeps serving.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, startMock } from '../src/index.js';
import { CREDENTIALS, fuzzCorpus, SEED, SEED_BODY } from './fuzz-corpus.js';

let mock;
const logged = [];
beforeAll(async () => {
  mock = await startMock({ port: 0, bodyTimeoutMs: 500, log: (line) => logged.push(line) });
});
afterAll(() => mock?.close());

/**
 * Sends raw bytes and reads until the server closes or `waitMs` passes.
 * @returns {Promise<{ status: number | undefined, headers: string, body: string, closed: boolean }>}
 */
function raw(bytes, { waitMs = 3_000 } = {}) {
  return new Promise((resolve) => {
    const { port } = new URL(mock.url);
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    const done = (closed) => {
      clearTimeout(timer);
      socket.destroy();
      const [head = '', ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]) || undefined, headers: head, body: rest.join('\r\n\r\n'), closed });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('connect', () => {
      socket.write(Buffer.from(bytes, 'latin1'));
    });
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('end', () => done(true));
    socket.on('error', () => done(true));
  });
}

/**
 * A raw POST request to `target`: `type: null` sends no Content-Type.
 * @param {string} target
 * @param {{ type?: string | null, body?: string, extra?: string }} [options]
 */
const post = (target, { type = 'application/json', body = SEED_BODY, extra = '' } = {}) =>
  `POST ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${CREDENTIALS}${type === null ? '' : `Content-Type: ${type}\r\n`}Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n${extra}\r\n${body}`;

/** A problem body that says why. */
const reason = (answer) => JSON.parse(answer.body).detail;

async function stillServes() {
  const res = await fetch(new URL(`${SEED}?access_token=t`, mock.url), {
    method: 'POST',
    headers: { groupName: 'g', accountid: 'a', 'X-GW-Router-Addr': 'x', 'content-type': 'application/json' },
    body: SEED_BODY,
  });
  expect(res.status).toBe(200);
}

describe('request targets', () => {
  it.each(['/%', '/%ff', '/%E0%A4%A', '/%C0%AF', '/index.html%', '//[', '//a:99999/x', `${SEED}?access_token=%zz`])(
    'answers 400 that says why to %s',
    async (target) => {
      const answer = await raw(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer.status).toBe(400);
      expect(reason(answer)).toMatch(/request (path|query|target)/);
      await stillServes();
    },
  );

  it('does not answer //route as /route', async () => {
    const before = logged.length;
    const answer = await raw(post(`/${SEED}?access_token=t`));
    expect(answer.status).toBe(400);
    expect(reason(answer)).toMatch(/starts with "\/\/"/);
    expect(logged.slice(before)).toEqual([]);
  });

  it('reads the absolute form a proxy sends', async () => {
    const answer = await raw(post(`http://mock.example${SEED}?access_token=t`));
    expect(answer.status).toBe(200);
  });
});

describe('content types and encodings', () => {
  it.each([
    'json',
    'application/',
    '(json)',
    ';;;=',
    'application/json, text/plain',
    'text/plain',
    'application/xml',
    'application/json; charset=latin1',
  ])('answers 415 that says why to Content-Type %s', async (type) => {
    const answer = await raw(post(`${SEED}?access_token=t`, { type }));
    expect(answer.status).toBe(415);
    expect(reason(answer)).toMatch(/application\/json|UTF-8/);
  });

  it('answers 415 to a body without a Content-Type', async () => {
    const answer = await raw(post(`${SEED}?access_token=t`, { type: null }));
    expect(answer.status).toBe(415);
    expect(reason(answer)).toMatch(/no Content-Type/);
  });

  it('takes a charset of UTF-8 and parameters in any case', async () => {
    expect((await raw(post(`${SEED}?access_token=t`, { type: 'Application/JSON; Charset="UTF-8"' }))).status).toBe(200);
  });

  it('answers 400 to a body that is not valid UTF-8, instead of replacing its bytes', async () => {
    const body = `{"operation":"push","billdata":{"id":"1"},"note":"\xff\xfe"}`;
    const answer = await raw(post(`${SEED}?access_token=t`, { body }));
    expect(answer.status).toBe(400);
    expect(reason(answer)).toMatch(/not valid UTF-8/);
  });
});

describe('sizes, framing and time', () => {
  it('answers 413 to a declared Content-Length over the limit before reading the body', async () => {
    const head = `POST ${SEED}?access_token=t HTTP/1.1\r\nHost: x\r\n${CREDENTIALS}Content-Type: application/json\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`;
    const answer = await raw(head, { waitMs: 2_000 });
    expect(answer.status, answer.body).toBe(413);
    expect(reason(answer)).toMatch(/exceeds/);
  });

  it('answers 413 to a chunked body that grows past the limit', async () => {
    const chunk = 'a'.repeat(64 * 1024);
    const chunks = Array.from({ length: 20 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
    const head = `POST ${SEED}?access_token=t HTTP/1.1\r\nHost: x\r\n${CREDENTIALS}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const answer = await raw(`${head}${chunks}0\r\n\r\n`);
    expect(answer.status).toBe(413);
  });

  it('answers 408 to a body that stalls, and closes the connection', async () => {
    const head = `POST ${SEED}?access_token=t HTTP/1.1\r\nHost: x\r\n${CREDENTIALS}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"operation":`;
    const answer = await raw(head, { waitMs: 5_000 });
    expect(answer.status).toBe(408);
    expect(reason(answer)).toMatch(/not received within/);
    expect(answer.closed).toBe(true);
  });

  it.each([
    ['bad framing', `POST ${SEED} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello`, 400],
    ['a broken chunk', `POST ${SEED} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`, 400],
    ['oversized headers', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400],
  ])("answers Node's own refusal of %s with a body that says why", async (_name, bytes, status) => {
    const answer = await raw(bytes);
    expect(answer.status).toBe(status);
    expect(reason(answer)).toBeTruthy();
    await stillServes();
  });

  it('logs nothing for a client that hangs up mid-request', async () => {
    const before = logged.length;
    await new Promise((resolve) => {
      const socket = connect(Number(new URL(mock.url).port), '127.0.0.1', () => {
        socket.write(
          `POST ${SEED}?access_token=t HTTP/1.1\r\nHost: x\r\n${CREDENTIALS}Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{"op`,
        );
        setTimeout(() => {
          socket.destroy();
          resolve(undefined);
        }, 50);
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(logged.slice(before).filter((line) => line.startsWith('internal error'))).toEqual([]);
    await stillServes();
  });
});

describe('credentials', () => {
  it.each([
    ['access_token', `${SEED}`, CREDENTIALS],
    ['groupName', `${SEED}?access_token=t`, 'accountid: a\r\nX-GW-Router-Addr: r\r\n'],
    ['accountid', `${SEED}?access_token=t`, 'groupName: g\r\nX-GW-Router-Addr: r\r\n'],
    ['X-GW-Router-Addr', `${SEED}?access_token=t`, 'groupName: g\r\naccountid: a\r\n'],
  ])('names %s when it is missing, with its own code (not the rotated-secret 1030002006)', async (missing, target, headers) => {
    const answer = await raw(
      `POST ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}Content-Type: application/json\r\nContent-Length: ${SEED_BODY.length}\r\n\r\n${SEED_BODY}`,
    );
    expect(answer.status).toBe(401);
    const body = JSON.parse(answer.body);
    expect(body).toEqual({ errcode: 401, description: expect.stringContaining(`Missing credentials: ${missing}.`), missing: [missing] });
  });

  it("answers the gateway's own calls without their signature the same way, as the spec declares", async () => {
    const { readFileSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const { schemaValidator } = await import('@qzz/spec/validate');
    const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
    const answer = await raw(
      'GET /jdyconnector/app_management/kingdee_auth_token?app_key=abc&app_signature=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(answer.status).toBe(401);
    const body = JSON.parse(answer.body);
    expect(body.missing).toEqual(['X-Api-ClientID', 'X-Api-Signature']);
    const declared = doc.paths['/jdyconnector/app_management/kingdee_auth_token'].get.responses['401'];
    expect(declared).toBeDefined();
    expect(schemaValidator(doc).compile('#/components/schemas/MockCredentialsMissing')(body)).toBe(true);
  });

  it('counts an empty value as missing, and names every missing value', async () => {
    const answer = await raw(
      `POST ${SEED}?access_token= HTTP/1.1\r\nHost: x\r\nConnection: close\r\ngroupName:\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
    );
    expect(JSON.parse(answer.body).missing).toEqual(['access_token', 'groupName', 'accountid', 'X-GW-Router-Addr']);
  });
});

describe('thousands of seeded random requests', () => {
  it('never answers 5xx, never hangs, and keeps serving', async () => {
    const samples = fuzzCorpus();
    const statuses = [];
    for (let i = 0; i < samples.length; i += 100) {
      const batch = samples.slice(i, i + 100).map(({ method, target, headers, body }) => {
        const length = headers.some((h) => /^content-length:/i.test(h)) ? '' : `Content-Length: ${body.length}\r\n`;
        return raw(
          `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers.join('\r\n')}${headers.length ? '\r\n' : ''}${length}\r\n${body}`,
          { waitMs: 5_000 },
        );
      });
      statuses.push(...(await Promise.all(batch)).map((a) => a.status));
    }
    expect(statuses.filter((s) => s === undefined || s >= 500)).toEqual([]);
    expect(logged.filter((line) => line.startsWith('internal error'))).toEqual([]);
    await stillServes();
  });
});

describe('Prefer and Accept', () => {
  const ask = (headers, path = '/mxoc_qm/inspect_query', body = '{"id":"1"}') =>
    fetch(new URL(`${path}?access_token=t`, mock.url), {
      method: 'POST',
      headers: { groupName: 'g', accountid: 'a', 'X-GW-Router-Addr': 'r', 'content-type': 'application/json', ...headers },
      body,
    });

  it.each([
    [{ prefer: 'code=200, example=x' }, 404],
    [{ prefer: 'code=404, example=x' }, 404],
    [{ prefer: 'code=200, example=businessFailure' }, 404],
    [{ prefer: 'code=200', accept: 'text/html' }, 406],
    [{ prefer: 'code=429, dynamic=true', accept: 'application/xml' }, 406],
    [{ accept: 'text/html;;' }, 406],
  ])('answers %o with %i and a reason, never 5xx', async (headers, status) => {
    const res = await ask(headers);
    expect(res.status).toBe(status);
    expect((await res.json()).detail).toBeTruthy();
  });

  it.each(['x', '*', ';;', '/', 'application'])('answers 400 to the unparsable Accept %j', async (accept) => {
    const res = await ask({ accept });
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toMatch(/Accept header/);
  });

  it.each([401, 404, 429, 519])('never answers errcode 1030002006 when Prefer asks for %i', async (code) => {
    const res = await ask({ prefer: `code=${code}` });
    expect(res.status).toBe(code);
    expect((await res.json()).errcode).not.toBe(1030002006);
  });
});

describe("Node's refusals the guard answers itself", () => {
  it.each([
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405],
    ['a request without Host', `GET ${SEED} HTTP/1.1\r\nConnection: close\r\n\r\n`, 400],
    ['an unknown expectation', `POST ${SEED} HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}`, 417],
  ])('answers %s with a reason', async (_name, bytes, status) => {
    const answer = await raw(bytes);
    expect(answer.status).toBe(status);
    expect(reason(answer)).toBeTruthy();
  });
});
