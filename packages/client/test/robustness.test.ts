// Property-based: whatever a server answers or a fetch throws, an action either resolves or rejects with a
// typed QzzError with a clear message — and the access token is in none of it.
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQzzClient, type QzzClient, QzzError, QzzNetworkError } from '../src/index.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

const credentials = (accessToken: string) => ({ accessToken, groupName: 'g', accountId: 'a', routerAddr: 'https://tf.jdy.com' });
const LABELS = {
  query: 'workshop.getInspection',
  push: 'projectManufacturing.pushOrderExecutionToSparePartsUse',
  text: 'projectManufacturing.getSparePartsUse',
} as const;
const callAction = (client: QzzClient, which: keyof typeof LABELS) =>
  which === 'query'
    ? client.workshop.getInspection({ id: '1' })
    : which === 'push'
      ? client.projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: '1' } })
      : client.projectManufacturing.getSparePartsUse({ id: '1' });

/** Answers a server might give: envelopes, gateway errors, problems, garbage, each in any status. */
const answerBody = fc
  .oneof(
    fc.record(
      { success: fc.constant(true), reachPlugin: fc.boolean(), errorCode: fc.string(), data: fc.jsonValue() },
      { requiredKeys: ['success'] },
    ),
    fc.record(
      { success: fc.constant(false), errorCode: fc.option(fc.string()), message: fc.option(fc.string()), data: fc.jsonValue() },
      { requiredKeys: ['success'] },
    ),
    fc.record({ errcode: fc.integer(), description: fc.option(fc.string()), data: fc.jsonValue() }, { requiredKeys: ['errcode'] }),
    fc.record({ type: fc.webUrl(), title: fc.string(), status: fc.integer(), detail: fc.string() }),
    fc.jsonValue(),
  )
  .map((v) => JSON.stringify(v));
const rawBody = fc.oneof(
  answerBody,
  fc.string(),
  fc.constant(''),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
);
const status = fc.oneof(fc.constantFrom(200, 201, 204, 400, 401, 404, 422, 429, 500, 502, 503, 519), fc.integer({ min: 200, max: 599 }));
const thrown = fc.oneof(
  fc.string().map((m) => new TypeError(m)),
  fc.constant(new DOMException('The operation timed out.', 'TimeoutError')),
  fc.constant(new DOMException('This operation was aborted', 'AbortError')),
  fc.string(),
  fc.constant(undefined),
  fc.constant(null),
);

describe('the client with any answer', () => {
  it('resolves only to data of a success envelope, and otherwise throws a typed error with a clear message', async () => {
    await fc.assert(
      fc.asyncProperty(
        status,
        rawBody,
        fc.constantFrom('query', 'push', 'text') as fc.Arbitrary<keyof typeof LABELS>,
        async (code, body, which) => {
          const noBody = [204, 205, 304].includes(code);
          const fetch = (async () =>
            new Response(noBody ? null : body, {
              status: code,
              headers: { 'content-type': 'application/json' },
            })) as typeof globalThis.fetch;
          const client = createQzzClient({
            baseUrl: 'http://127.0.0.1:9',
            credentials: credentials('t0k3n-abcdef'),
            fetch,
            retries: 1,
            retryDelayMs: 1,
          });
          // The outcome is taken first and asserted after, so no assertion is caught as the call's failure.
          const outcome = await callAction(client, which).then(
            (data: unknown) => ({ resolved: true as const, data }),
            (error: unknown) => ({ resolved: false as const, error }),
          );
          if (outcome.resolved) {
            const parsed = JSON.parse(body);
            expect(code >= 200 && code < 300 && parsed?.success === true).toBe(true);
            expect(outcome.data).toEqual(parsed.data);
          } else {
            expect(outcome.error).toBeInstanceOf(QzzError);
            expect((outcome.error as QzzError).action).toBe(LABELS[which]);
            expect((outcome.error as Error).message.startsWith(`${LABELS[which]} failed: `)).toBe(true);
          }
        },
      ),
      { numRuns: 400, seed: 20261128 },
    );
  });

  it('turns anything a fetch throws into a QzzNetworkError', async () => {
    await fc.assert(
      fc.asyncProperty(thrown, async (failure) => {
        const fetch = (async () => {
          throw failure;
        }) as typeof globalThis.fetch;
        const error = await callAction(
          createQzzClient({ baseUrl: 'http://127.0.0.1:9', credentials: credentials('t0k3n-abcdef'), fetch, retries: 0 }),
          'push',
        ).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(QzzNetworkError);
        expect((error as Error).message).toMatch(/^projectManufacturing\.pushOrderExecutionToSparePartsUse failed: ./);
      }),
      { numRuns: 200, seed: 20261128 },
    );
  });
});

describe('the access token', () => {
  it('appears in no error, whatever the server or the fetch quotes back', async () => {
    const token = fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/);
    await fc.assert(
      fc.asyncProperty(token, status, fc.constantFrom('description', 'detail', 'message', 'thrown', 'raw'), async (secret, code, where) => {
        const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
          const url = new Request(input, init).url;
          if (where === 'thrown') throw new TypeError(`fetch to ${url} failed (token ${secret})`);
          const body =
            where === 'raw'
              ? `upstream said: ${url}`
              : JSON.stringify({ success: false, errcode: 40001, [where]: `token ${secret} in ${url}` });
          return new Response(body, { status: code });
        }) as typeof globalThis.fetch;
        const client = createQzzClient({ baseUrl: 'http://127.0.0.1:9', credentials: credentials(secret), fetch, retries: 0 });
        const error = await callAction(client, 'query').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(QzzError);
        for (const text of [
          String(error),
          (error as Error).message,
          JSON.stringify(error),
          (error as Error).stack ?? '',
          inspect(error, { depth: 10 }),
        ]) {
          expect(text).not.toContain(secret);
        }
      }),
      { numRuns: 300, seed: 20261128 },
    );
  });
});
