// A client that tells what it did: its log lines, middleware on every call, `.withResponse()`, and the outcome
// of a call that got no answer. Against the mock and against scripted servers, over real HTTP on loopback.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startMock } from '@qzz/mock';
import type { Middleware } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cachedCredentials,
  createQzzClient,
  type LogLevel,
  QzzBusinessError,
  QzzGatewayError,
  type QzzLogFields,
  QzzNetworkError,
} from '../src/index.js';

const TOKEN = 'tok-TELLING-7c1e';
const credentials = { accessToken: TOKEN, groupName: 'demo-group', accountId: '1234567890', routerAddr: 'https://tf.jdy.com' };
const INSPECTION = '1895048896518849536';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let mock: { url: string; close(): Promise<void> };
beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  mock = await startMock({ port: 0 });
});
afterAll(async () => {
  await mock?.close();
  process.off('unhandledRejection', onUnhandled);
  // `.withResponse()` alone, on a call that fails, must leave no rejection unhandled.
  expect(unhandled).toEqual([]);
});

type Line = { level: Exclude<LogLevel, 'off'>; fields: QzzLogFields; message: string };
/** A logger that keeps every line, in pino's `(fields, message)` order. */
function memoryLogger() {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (fields: QzzLogFields, message: string) => void lines.push({ level, fields, message });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

type Seen = { url: string; headers: IncomingHttpHeaders; body: string };
type Answer = (res: ServerResponse, req: IncomingMessage) => void;
const json =
  (status: number, body: unknown): Answer =>
  (res) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** A loopback server that reads each request whole, records it, then answers with the next of `answers` (the last repeats). */
async function scriptedServer(answers: Answer[]) {
  const seen: Seen[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
    answers[Math.min(seen.length, answers.length) - 1]!(res, req);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on any more: connecting to it is refused. */
async function refusedUrl() {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const ok = (data: unknown, errorCode = 'success') => json(200, { success: true, reachPlugin: true, errorCode, data });
const busy = json(503, { errcode: 1, description: 'busy' });
const rotated = json(401, { errcode: 1030002006, description: '授权密钥校验失败' });

/** The error `promise` rejects with. */
const failureOf = (promise: PromiseLike<unknown>) =>
  Promise.resolve(promise).then(
    () => {
      throw new Error('the call succeeded');
    },
    (e: unknown) => e,
  );

describe('the logger', () => {
  it('writes one debug line per attempt: action, route without query, status, ms, attempt, errorCode; no body value', async () => {
    const { lines, logger } = memoryLogger();
    const client = createQzzClient({ baseUrl: mock.url, credentials, logger, logLevel: 'debug' });
    const data = await client.workshop.getInspection({ id: INSPECTION });
    await client.call('/mxoc_qm/inspect_query', { id: INSPECTION }, { kind: 'query' });
    expect(lines.map((l) => [l.level, l.fields.action, l.fields.route, l.fields.status, l.fields.attempt])).toEqual([
      ['debug', 'workshop.getInspection', '/mxoc_qm/inspect_query', 200, 1],
      ['debug', 'POST /mxoc_qm/inspect_query', '/mxoc_qm/inspect_query', 200, 1],
    ]);
    for (const { fields, message } of lines) {
      expect(fields.ms).toBeGreaterThanOrEqual(0);
      expect(fields.errorCode).toBe('success'); // the mock answers the vendor's example envelope
      expect(message).toMatch(/^qzz .+: attempt 1: 200$/);
    }
    expect(lines[0]!.fields.call).not.toBe(lines[1]!.fields.call);
    // Neither the request's nor the answer's values, nor the token, appear in a line.
    const text = JSON.stringify(lines);
    const answerValues = JSON.stringify(data).match(/"[^"]{6,}"/g) ?? [];
    expect(answerValues.length).toBeGreaterThan(3);
    for (const value of [TOKEN, INSPECTION, 'access_token', ...answerValues.filter((v) => !/^"(success|workshop|mxoc)/.test(v))]) {
      expect(text).not.toContain(value.replace(/^"|"$/g, ''));
    }
  });

  it('logs an answer’s errorCode only when it is a short code; any other text by its length alone', async () => {
    const hostile = `E1\nlevel=error msg="forged line" ${'x'.repeat(5000)}`;
    const server = await scriptedServer([
      json(200, { success: true, reachPlugin: true, errorCode: hostile, data: {} }),
      json(200, { success: false, errorCode: hostile, message: 'no' }),
      json(200, { success: false, errorCode: 'BILL_NOT_FOUND', message: 'no' }),
    ]);
    try {
      const { lines, logger } = memoryLogger();
      const client = createQzzClient({ baseUrl: server.url, credentials, logger, logLevel: 'debug' });
      await client.workshop.getInspection({ id: '7' });
      await failureOf(client.workshop.getInspection({ id: '7' }));
      await failureOf(client.workshop.getInspection({ id: '7' }));
      const codes = lines.map((l) => [l.level, l.fields.errorCode]);
      const shape = `(a code of ${[...hostile].length} characters)`;
      expect(codes).toEqual([
        ['debug', shape],
        ['debug', shape],
        ['warn', shape],
        ['debug', 'BILL_NOT_FOUND'],
        ['warn', 'BILL_NOT_FOUND'],
      ]);
      expect(JSON.stringify(lines)).not.toContain('forged line');
    } finally {
      await server.close();
    }
  });

  it('names the route under its server prefix, and the raw client logs its requests too', async () => {
    const { lines, logger } = memoryLogger();
    const client = createQzzClient({ baseUrl: mock.url, credentials, logger, logLevel: 'debug' });
    await client.production.queryProductionInStock({ pageSize: '10', pageIndex: '1' });
    await client.raw.POST('/mxoc_qm/inspect_query', { body: { id: INSPECTION } });
    expect(lines.map((l) => [l.fields.action, l.fields.route, l.fields.status])).toEqual([
      ['production.queryProductionInStock', '/mxocminimes/mxoc_pom/mxoc_pom_instocknew_query', 200],
      ['POST /mxoc_qm/inspect_query', '/mxoc_qm/inspect_query', 200],
    ]);
  });

  it('logs retries and refreshes at info, each attempt at debug, and nothing below the level', async () => {
    const server = await scriptedServer([busy, rotated, ok({ id: '1' })]);
    try {
      const run = async (logLevel: LogLevel) => {
        server.seen.length = 0;
        const { lines, logger } = memoryLogger();
        const client = createQzzClient({
          baseUrl: server.url,
          credentials: cachedCredentials(async () => credentials),
          logger,
          logLevel,
          retryDelayMs: 1,
        });
        await client.workshop.getInspection({ id: '1' });
        return lines.map((l) => `${l.level} ${l.fields.attempt} ${l.fields.status ?? ''} ${l.fields.errcode ?? ''}`.trim());
      };
      expect(await run('debug')).toEqual([
        'debug 1 503 1',
        'info 1 503 1',
        'debug 2 401 1030002006',
        'info 2 401 1030002006',
        'debug 3 200',
      ]);
      expect(await run('info')).toEqual(['info 1 503 1', 'info 2 401 1030002006']);
      expect(await run('warn')).toEqual([]);
      expect(await run('off')).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('logs a failed call at warn, and at error when a write may have happened', async () => {
    const stalling = await scriptedServer([() => {}]);
    try {
      const { lines, logger } = memoryLogger();
      const refused = createQzzClient({ baseUrl: await refusedUrl(), credentials, logger, retries: 0 });
      await failureOf(refused.workshop.getInspection({ id: '1' }));
      await failureOf(refused.engineering.saveProcess({ params: { datainfo: {} } }));
      const stalled = createQzzClient({ baseUrl: stalling.url, credentials, logger, timeoutMs: 100, retries: 0 });
      await failureOf(stalled.engineering.saveProcess({ params: { datainfo: {} } }));
      await failureOf(createQzzClient({ baseUrl: mock.url, credentials, logger }).call('/mxoc_pom/not_in_the_spec', {}));
      expect(lines.map((l) => [l.level, l.fields.action, l.fields.error, l.fields.outcome ?? l.fields.status])).toEqual([
        ['warn', 'workshop.getInspection', 'QzzNetworkError', 'not-sent'],
        ['warn', 'engineering.saveProcess', 'QzzNetworkError', 'not-sent'],
        ['error', 'engineering.saveProcess', 'QzzNetworkError', 'unknown'],
        ['warn', 'POST /mxoc_pom/not_in_the_spec', 'QzzGatewayError', 404],
      ]);
      expect(lines[2]!.message).toBe('qzz engineering.saveProcess: failed, outcome unknown: check before sending again');
      expect(lines[2]!.fields.timedOut).toBe(true);
    } finally {
      await stalling.close();
    }
  });

  it('goes on when the logger throws, and refuses a logger without the four methods or an unknown level', async () => {
    const throwing = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    throwing.debug = () => {
      throw new Error('disk full');
    };
    const client = createQzzClient({ baseUrl: mock.url, credentials, logger: throwing, logLevel: 'debug' });
    await expect(client.workshop.getInspection({ id: INSPECTION })).resolves.toBeDefined();
    expect(() => createQzzClient({ credentials, logger: { debug() {}, info() {} } as never })).toThrow(/debug, info, warn and error/);
    expect(() => createQzzClient({ credentials, logLevel: 'verbose' as never })).toThrow(/logLevel/);
    expect(() => createQzzClient({ credentials, logger: console, logLevel: 'error' })).not.toThrow();
  });
});

describe('middleware on every call', () => {
  /** Adds the caller's own tracing header to every request, and records each answer's status and each error. */
  function tracing() {
    const statuses: number[] = [];
    const errors: string[] = [];
    let n = 0;
    const middleware: Middleware = {
      onRequest({ request }) {
        request.headers.set('X-Trace-Id', `trace-${++n}`);
        return request;
      },
      onResponse({ response }) {
        statuses.push(response.status);
      },
      onError({ error }) {
        errors.push(error instanceof Error ? error.name : String(error));
      },
    };
    return { middleware, statuses, errors };
  }

  it('runs on action functions, client.call and client.raw alike, added as an option or with use()', async () => {
    const server = await scriptedServer([ok({ id: '1' })]);
    try {
      for (const how of ['option', 'use'] as const) {
        server.seen.length = 0;
        const { middleware, statuses } = tracing();
        const client = createQzzClient({
          baseUrl: server.url,
          credentials,
          gateway: { clientId: 'cid', clientSecret: 'client-secret-1' },
          ...(how === 'option' ? { middleware: [middleware] } : {}),
        });
        if (how === 'use') client.use(middleware);
        await client.workshop.getInspection({ id: '1' });
        await client.call('/mxoc_pom/anything', { a: 1 });
        await client.raw.POST('/mxoc_qm/inspect_query', { body: { id: '1' } });
        // A signed call of the gateway itself: its answer is not the gateway's, so it fails after the middleware ran.
        await failureOf(client.system.pushAppAuthorize({ outerInstanceId: 'OI' }));
        expect(server.seen.map((s) => s.headers['x-trace-id'])).toEqual(['trace-1', 'trace-2', 'trace-3', 'trace-4']);
        expect(statuses).toEqual([200, 200, 200, 200]);
        // The credentials and the body still go as they did.
        expect(server.seen[0]!.url).toBe(`/mxoc_qm/inspect_query?access_token=${TOKEN}`);
        expect(server.seen[0]!.headers.groupname).toBe('demo-group');
        expect(JSON.parse(server.seen[1]!.body)).toEqual({ a: 1 });
      }
    } finally {
      await server.close();
    }
  });

  it("sends the caller's tracing header on every attempt, retries and refreshes included", async () => {
    const server = await scriptedServer([busy, rotated, ok({ id: '1' })]);
    try {
      const { middleware, statuses } = tracing();
      const client = createQzzClient({
        baseUrl: server.url,
        credentials: cachedCredentials(async () => credentials),
        middleware: [middleware],
        retryDelayMs: 1,
      });
      await client.workshop.getInspection({ id: '1' });
      expect(server.seen.map((s) => s.headers['x-trace-id'])).toEqual(['trace-1', 'trace-2', 'trace-3']);
      expect(statuses).toEqual([503, 401, 200]);
    } finally {
      await server.close();
    }
  });

  it('sees a failed request in onError, and stops after eject()', async () => {
    const { middleware, errors } = tracing();
    const client = createQzzClient({ baseUrl: await refusedUrl(), credentials, retries: 0, middleware: [middleware] });
    // The error middleware saw is the one the call rejects with, what it says of the request kept.
    expect(await failureOf(client.workshop.getInspection({ id: '1' }))).toMatchObject({ outcome: 'not-sent' });
    expect(errors).toEqual(['TypeError']);
    client.eject(middleware);
    await failureOf(client.workshop.getInspection({ id: '1' }));
    expect(errors).toHaveLength(1);
  });
});

describe('withResponse()', () => {
  it('gives the data with the HTTP answer and the attempt count, from action functions and client.call', async () => {
    const client = createQzzClient({ baseUrl: mock.url, credentials });
    const { data, response, attempts } = await client.workshop.getInspection({ id: INSPECTION }).withResponse();
    expect(data).toEqual(await client.workshop.getInspection({ id: INSPECTION }));
    expect([response.status, response.headers.get('content-type'), attempts]).toEqual([200, 'application/json', 1]);
    const routed = await client.call('/mxoc_qm/inspect_query', { id: INSPECTION }, { kind: 'query' }).withResponse();
    expect([routed.data, routed.response.status, routed.attempts]).toEqual([data, 200, 1]);
  });

  it('counts every request sent: retries and a refresh', async () => {
    const server = await scriptedServer([busy, rotated, ok({ id: '7' })]);
    try {
      const client = createQzzClient({ baseUrl: server.url, credentials: cachedCredentials(async () => credentials), retryDelayMs: 1 });
      const answer = await client.workshop.getInspection({ id: '7' }).withResponse();
      expect([answer.data, answer.response.status, answer.attempts]).toEqual([{ id: '7' }, 200, 3]);
    } finally {
      await server.close();
    }
  });

  it('rejects with the typed error, the call sent once whichever form is awaited', async () => {
    const server = await scriptedServer([json(200, { success: false, errorCode: 'E1', message: 'no such bill' })]);
    try {
      const client = createQzzClient({ baseUrl: server.url, credentials });
      const call = client.engineering.saveProcess({ params: { datainfo: {} } });
      expect(await failureOf(call.withResponse())).toBeInstanceOf(QzzBusinessError);
      expect(await failureOf(call)).toBeInstanceOf(QzzBusinessError);
      expect(server.seen).toHaveLength(1);
      // Awaited as `.withResponse()` only: the data form's rejection is never created (see the unhandled check).
      expect(await failureOf(client.engineering.saveProcess({ params: { datainfo: {} } }).withResponse())).toBeInstanceOf(QzzBusinessError);
    } finally {
      await server.close();
    }
  });
});

describe('the outcome of a call that got no answer', () => {
  const save = (baseUrl: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
    failureOf(
      createQzzClient({ baseUrl, credentials, timeoutMs: options.timeoutMs ?? 30_000 }).engineering.saveProcess(
        { params: { datainfo: { number: 'GX-1' } } },
        { signal: options.signal },
      ),
    );

  it('is unknown when the server read the request and then stalled until the timeout', async () => {
    const server = await scriptedServer([() => {}]);
    try {
      const error = await save(server.url, { timeoutMs: 150 });
      expect(error).toBeInstanceOf(QzzNetworkError);
      expect(error).toMatchObject({ timedOut: true, outcome: 'unknown' });
      expect((error as Error).message).toMatch(/outcome unknown/);
      expect(JSON.parse(server.seen[0]!.body)).toMatchObject({ params: { datainfo: { number: 'GX-1' } } }); // it did arrive
    } finally {
      await server.close();
    }
  });

  it('is unknown when the connection is reset in the middle of the answer', async () => {
    const server = await scriptedServer([
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
        res.write('{"success": true, "data": {"billno": "GX', () => res.socket?.resetAndDestroy());
      },
    ]);
    try {
      const error = await save(server.url);
      expect(error).toBeInstanceOf(QzzNetworkError);
      expect(error).toMatchObject({ timedOut: false, outcome: 'unknown' });
      expect(server.seen).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('is unknown when the connection is reset before any answer', async () => {
    const server = await scriptedServer([(_res, req) => req.socket.resetAndDestroy()]);
    try {
      expect(await save(server.url)).toMatchObject({ outcome: 'unknown' });
    } finally {
      await server.close();
    }
  });

  it('is not-sent when the connection is refused, when the signal was aborted first, and when there are no credentials', async () => {
    const refused = await save(await refusedUrl());
    expect(refused).toBeInstanceOf(QzzNetworkError);
    expect(refused).toMatchObject({ outcome: 'not-sent', timedOut: false });
    expect((refused as Error).message).not.toMatch(/outcome unknown/);
    const server = await scriptedServer([ok({})]);
    try {
      expect(await save(server.url, { signal: AbortSignal.abort() })).toMatchObject({ outcome: 'not-sent', aborted: true });
      const noCredentials = createQzzClient({
        baseUrl: server.url,
        credentials: async () => {
          throw new Error('vault unreachable');
        },
      });
      expect(await failureOf(noCredentials.engineering.saveProcess({ params: { datainfo: {} } }))).toMatchObject({
        outcome: 'not-sent',
      });
      expect(server.seen).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('is no field of a call that got an answer', async () => {
    const error = await failureOf(createQzzClient({ baseUrl: mock.url, credentials }).call('/mxoc_pom/not_in_the_spec', {}));
    expect(error).toBeInstanceOf(QzzGatewayError);
    expect(error).not.toHaveProperty('outcome');
  });
});
