// How the client reacts to each of the gateway's failures, produced on demand by @qzz/mock's fault rules over real
// HTTP: queries retried with backoff within their budget, saves, audits and pushes sent once, one refresh per
// rotated secret, Retry-After waited out, a stalled answer ending in the client's timeout.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createMockFetch, startMock } from '@qzz/mock';
import { deref, listActions, moduleKey } from '@qzz/spec/actions';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createQzzClient,
  QzzBusinessError,
  type QzzClientOptions,
  type QzzCredentials,
  QzzGatewayError,
  QzzNetworkError,
} from '../src/index.js';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const credentials: QzzCredentials = { accessToken: 'tok-1', groupName: 'faults', accountId: '1001', routerAddr: 'https://tf.jdy.com' };

const mocks: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(mocks.splice(0).map((mock) => mock.close()));
});

/** The body of an action's documented request, without what its function fills in (its `select` values). */
function exampleInput(name: string): Record<string, unknown> {
  const action: any = listActions(doc).find((a: any) => a.name === name);
  const media: any = Object.values(doc.paths[action.path][action.method].requestBody.content)[0];
  const raw = deref(doc, media.examples[action.examples.request]).value;
  const body = typeof raw === 'string' ? JSON.parse(raw) : raw;
  const without = (select: Record<string, any>, value: Record<string, any>): Record<string, any> => {
    const out = { ...value };
    for (const [key, selected] of Object.entries(select))
      if (selected && typeof selected === 'object') out[key] = without(selected, out[key]);
      else delete out[key];
    return out;
  };
  return without(action.select, body);
}

/** Calls an action by name with its documented request, as the generated function does. */
function callAction(client: ReturnType<typeof createQzzClient>, name: string): Promise<unknown> {
  const action: any = listActions(doc).find((a: any) => a.name === name);
  const module = moduleKey(doc.tags.find((t: any) => t.name === action.tag)['x-qzz-module']);
  const send = Reflect.get(Reflect.get(client, module), name) as (input: unknown) => Promise<unknown>;
  return send(exampleInput(name));
}

/**
 * A mock started with `faults` (the rules' `faults` list), and a client against it over HTTP whose fetch notes when
 * each attempt left (`sent`, in ms).
 */
async function faulty(faults: unknown[], options: Partial<QzzClientOptions> = {}, mockOptions: Record<string, unknown> = {}) {
  const mock = await startMock({ port: 0, faults: { faults }, ...mockOptions });
  mocks.push(mock);
  const sent: number[] = [];
  const counting = ((input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(performance.now());
    return fetch(input, init);
  }) as typeof fetch;
  const client = createQzzClient({ baseUrl: mock.url, credentials, fetch: counting, retryDelayMs: 20, ...options });
  return { client, sent };
}

/** The time between one attempt and the next, in ms. */
const gaps = (times: number[]) => times.slice(1).map((time, i) => time - (times[i] ?? time));

/** What `promise` rejects with, which must be a `type`. */
async function failure<E>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const error = await promise.then(
    () => new Error('the call succeeded'),
    (e: unknown) => e,
  );
  if (error instanceof type) return error;
  throw new Error(`expected a ${type.name}, got ${String(error)}`);
}

const QUERY = 'getInspection';
/** One action of each kind that changes something: never sent twice. */
const CHANGES = ['saveProcess', 'saveOrderExecution', 'auditTravelApplication', 'pushOrderExecutionToSparePartsUse'];

describe('queries: retried with backoff, within their budget', () => {
  it.each([
    ['rate-limited', { retryAfter: 0 }],
    ['reset', {}],
  ])('a query that meets %s twice succeeds on its third attempt', async (fault, settings) => {
    const { client, sent } = await faulty([{ fault, match: { action: QUERY }, times: 2, ...settings }], { retryDelayMs: 100 });
    await expect(callAction(client, QUERY)).resolves.toMatchObject({ id: expect.any(String) });
    expect(sent).toHaveLength(3);
    // Doubling backoff from 100 ms, each with at most a quarter taken off: 75 ms, then 150 ms at least.
    const [first, second] = gaps(sent);
    expect(first).toBeGreaterThanOrEqual(75);
    expect(second).toBeGreaterThanOrEqual(150);
  });

  it('a query still rate-limited after its retries fails as the 429, after 1 + retries attempts', async () => {
    const { client, sent } = await faulty([{ fault: 'rate-limited', retryAfter: 0 }], { retries: 2 });
    const error = await failure(callAction(client, QUERY), QzzGatewayError);
    expect(error.status).toBe(429);
    expect(sent).toHaveLength(3);
  });

  it('a stalled query ends in the client’s timeout and is sent again', async () => {
    const { client, sent } = await faulty([{ fault: 'stall', times: 1 }], { timeoutMs: 300 });
    await expect(callAction(client, QUERY)).resolves.toBeDefined();
    expect(sent).toHaveLength(2);
  });

  it.each([
    ['rejected', 519, 'X-Api-Signature is invalid'],
    ['no-route', 404, 'No Route'],
  ])('%s is not retried, even for a query: it fails as the gateway’s %i', async (fault, status, description) => {
    const { client, sent } = await faulty([{ fault }]);
    const error = await failure(callAction(client, QUERY), QzzGatewayError);
    expect([error.status, error.description]).toEqual([status, description]);
    expect(sent).toHaveLength(1);
  });

  it('a business failure with a given errorCode is the client’s QzzBusinessError, not retried', async () => {
    const { client, sent } = await faulty([{ fault: 'business-failure', errorCode: 'E-STOCK-LOCKED' }]);
    const error = await failure(callAction(client, QUERY), QzzBusinessError);
    expect(error.errorCode).toBe('E-STOCK-LOCKED');
    expect(sent).toHaveLength(1);
  });

  it('a delayed answer is an answer', async () => {
    const { client, sent } = await faulty([{ fault: 'delay', ms: 50, jitter: 50 }]);
    await expect(callAction(client, QUERY)).resolves.toBeDefined();
    expect(sent).toHaveLength(1);
  });
});

describe('saves, audits and pushes: sent once, whatever the fault', () => {
  it.each(CHANGES)('%s: rate-limited, reset and stalled, each after one attempt', async (name) => {
    const limited = await faulty([{ fault: 'rate-limited', retryAfter: 0 }]);
    expect((await failure(callAction(limited.client, name), QzzGatewayError)).status).toBe(429);
    expect(limited.sent).toHaveLength(1);

    const reset = await faulty([{ fault: 'reset' }]);
    const lost = await failure(callAction(reset.client, name), QzzNetworkError);
    expect(lost.timedOut).toBe(false);
    expect(reset.sent).toHaveLength(1);

    const stalled = await faulty([{ fault: 'stall' }], { timeoutMs: 300 });
    const timedOut = await failure(callAction(stalled.client, name), QzzNetworkError);
    expect(timedOut.timedOut).toBe(true);
    expect(stalled.sent).toHaveLength(1);
  });
});

describe('Retry-After', () => {
  it('is waited out before a query is sent again, however short the backoff', async () => {
    const { client, sent } = await faulty([{ fault: 'rate-limited', retryAfter: 1, times: 1 }], { retryDelayMs: 1 });
    await expect(callAction(client, QUERY)).resolves.toBeDefined();
    expect(sent).toHaveLength(2);
    // A timer never fires early by more than its rounding to the millisecond.
    expect(gaps(sent)[0]).toBeGreaterThanOrEqual(999);
  });

  it('asking for more than a minute is not waited for: the 429 comes back with it', async () => {
    const { client, sent } = await faulty([{ fault: 'rate-limited', retryAfter: 120 }]);
    const error = await failure(callAction(client, QUERY), QzzGatewayError);
    expect([error.status, error.retryAfterMs]).toEqual([429, 120_000]);
    expect(sent).toHaveLength(1);
  });

  it('comes from --rate-limit too: the budget spent, the next call waits for the window', async () => {
    const { client } = await faulty([], { retries: 0 }, { rateLimit: '2/min' });
    await callAction(client, QUERY);
    await callAction(client, QUERY);
    const error = await failure(callAction(client, QUERY), QzzGatewayError);
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
  });
});

describe('a rotated secret (1030002006)', () => {
  /** A credentials loader that hands out a new token each time, counting its loads. */
  function rotatingCredentials() {
    const loads = { count: 0 };
    const load = async () => {
      loads.count++;
      return { ...credentials, accessToken: `tok-${loads.count}` };
    };
    return { loads, load };
  }

  it.each([QUERY, ...CHANGES])('%s: one refresh, then the call goes through', async (name) => {
    const { loads, load } = rotatingCredentials();
    const { client, sent } = await faulty([{ fault: 'secret-rotated', times: 1 }], { credentials: load });
    await expect(callAction(client, name)).resolves.toBeDefined();
    expect(loads.count).toBe(2);
    expect(sent).toHaveLength(2);
  });

  it('many calls refused at once share one refresh', async () => {
    const { loads, load } = rotatingCredentials();
    const { client } = await faulty([{ fault: 'secret-rotated', after: 1, times: 1 }], { credentials: load });
    await callAction(client, QUERY); // the first token, cached; the rule fires on the next call
    const answers = await Promise.all(Array.from({ length: 20 }, () => callAction(client, QUERY)));
    expect(answers).toHaveLength(20);
    expect(loads.count).toBe(2);
  });

  it('a provider that cannot refresh (fixed values) gets the 1030002006 back, and the mock keeps refusing that token', async () => {
    const { client, sent } = await faulty([{ fault: 'secret-rotated', times: 1 }]);
    const error = await failure(callAction(client, QUERY), QzzGatewayError);
    expect(error.errcode).toBe(1030002006);
    expect((await failure(callAction(client, QUERY), QzzGatewayError)).errcode).toBe(1030002006);
    expect(sent).toHaveLength(2);
  });

  it('a provider that refreshes to the same token is refused again, once: the client authorises once per call', async () => {
    let loads = 0;
    const same = async () => {
      loads++;
      return credentials;
    };
    const { client, sent } = await faulty([{ fault: 'secret-rotated', times: 1 }], { credentials: same });
    expect((await failure(callAction(client, QUERY), QzzGatewayError)).errcode).toBe(1030002006);
    expect([loads, sent.length]).toEqual([2, 2]);
  });
});

describe('through the in-process mock (createMockFetch)', () => {
  it('a stall ends in the client’s timeout, a reset is a lost connection, a rotation one refresh', async () => {
    const mockFetch = await createMockFetch({
      faults: {
        faults: [
          { fault: 'stall', match: { groupName: 'stall' } },
          { fault: 'reset', match: { groupName: 'reset' } },
          { fault: 'secret-rotated', match: { groupName: 'rotated' }, times: 1 },
        ],
      },
    });
    mocks.push(mockFetch);
    const clientOf = (groupName: string, extra: Partial<QzzClientOptions> = {}) =>
      createQzzClient({ baseUrl: 'http://mock.invalid', credentials: { ...credentials, groupName }, fetch: mockFetch, ...extra });
    const stalled = await failure(callAction(clientOf('stall', { timeoutMs: 200 }), 'saveProcess'), QzzNetworkError);
    expect(stalled.timedOut).toBe(true);
    const reset = await failure(callAction(clientOf('reset'), 'pushOrderExecutionToSparePartsUse'), QzzNetworkError);
    expect(reset.timedOut).toBe(false);
    let loads = 0;
    const load = async () => ({ ...credentials, groupName: 'rotated', accessToken: `tok-${++loads}` });
    await expect(callAction(clientOf('rotated', { credentials: load }), QUERY)).resolves.toBeDefined();
    expect(loads).toBe(2);
  });
});
