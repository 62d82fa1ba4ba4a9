// The client against @qzz/mock over real HTTP.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { startMock } from '@qzz/mock';
import { deref, listActions, moduleKey } from '@qzz/spec/actions';
import { schemaValidator } from '@qzz/spec/validate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionTable } from '../src/generated/actions.js';
import {
  answerSucceeded,
  createQzzClient,
  QzzBusinessError,
  type QzzClient,
  type QzzCredentials,
  QzzGatewayError,
  QzzNetworkError,
} from '../src/index.js';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const validator = schemaValidator(doc);
const TOKEN = 'tok-SECRET-5f2a9c';
const credentials: QzzCredentials = {
  accessToken: TOKEN,
  groupName: 'demo-group',
  accountId: '1234567890',
  routerAddr: 'https://tf.jdy.com',
};

let mock: { url: string; close(): Promise<void> };
beforeAll(async () => {
  mock = await startMock({ port: 0 });
});
afterAll(() => mock?.close());

const moduleOf = (tag: string) => moduleKey(doc.tags.find((t: any) => t.name === tag)['x-qzz-module']);

/** The body without the values `select` names: what a caller of the action function passes. */
function withoutSelect(select: Record<string, any>, body: Record<string, any>): Record<string, any> {
  const out = { ...body };
  for (const [key, value] of Object.entries(select)) {
    if (value && typeof value === 'object') out[key] = withoutSelect(value, out[key]);
    else delete out[key];
  }
  return out;
}

/** The error `promise` rejects with, which must be a `type`. */
async function failure<E>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const error: unknown = await promise.then(
    () => new Error('the call succeeded'),
    (e: unknown) => e,
  );
  if (error instanceof type) return error;
  throw new Error(`expected a ${type.name}, got ${String(error)}`);
}

/** A fetch that records what it sends and can answer instead of the network. */
function recordingFetch(answer?: (request: Request, n: number) => Response | undefined) {
  const seen: Request[] = [];
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    seen.push(request.clone());
    return answer?.(request, seen.length) ?? fetch(request);
  };
  return { seen, fetch: fetchFn as typeof fetch };
}

const business = listActions(doc).filter((a: any) => a.method === 'post' && !a.signed);

describe('every action round-trips through the mock', () => {
  it.each(business.map((a: any) => [`${moduleOf(a.tag)}.${a.name}`, a]))('%s', async (_label, action: any) => {
    const client = createQzzClient({ baseUrl: mock.url, credentials });
    const media = Object.values(doc.paths[action.path].post.requestBody.content)[0] as any;
    const raw = deref(doc, media.examples[action.examples.request]).value;
    const body = typeof raw === 'string' ? JSON.parse(raw) : raw;
    // By name, as the spec lists it: the function's type is whichever action the row is.
    const send: unknown = Reflect.get(Reflect.get(client, moduleOf(action.tag)), action.name);
    if (typeof send !== 'function') throw new Error(`the client has no ${moduleOf(action.tag)}.${action.name}`);
    const data: unknown = await send(withoutSelect(action.select, body));
    if (action.examples.response) {
      const answer = deref(
        doc,
        doc.paths[action.path].post.responses['200'].content['application/json'].examples[action.examples.response],
      ).value;
      expect(data).toEqual(answer.data);
    } else {
      expect(validator.compile(action.response)(data)).toBe(true);
    }
  });

  it('resolves the seed action to its bill, ids kept as strings', async () => {
    const client = createQzzClient({ baseUrl: mock.url, credentials });
    const bill = await client.projectManufacturing.pushOrderExecutionToSparePartsUse({
      entryPk: '1634800180022794240',
      billdata: { id: '1634800180022794240' },
    });
    expect(bill.billno).toBe('BJLL-20230306-0001');
    expect(bill.customerid_id).toBe('1406720347851475968');
    expect(bill.material_entity?.[0]?.material_entity_lk?.[0]?.material_entity_lk_stableid).toBe('-1269011930093682877');
  });

  it('sends the text/plain endpoints JSON text, and fills in the selecting fields', async () => {
    const { seen, fetch } = recordingFetch();
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch });
    await client.projectManufacturing.getSparePartsUse({ id: '1591518046361500672' });
    await client.outsourcing.pushTransferInToOutsourcedInStock({
      billid: '1954356591125984256',
      entryid: '1954356611267050496',
      entryentity: 'entryentity',
    });
    expect(seen[0]!.headers.get('content-type')).toBe('text/plain');
    expect(await seen[0]!.text()).toBe('{"id":"1591518046361500672"}');
    expect(JSON.parse(await seen[1]!.text())).toMatchObject({ srcEntity: 'mxoc_process_transferin', tarEntity: 'mxoc_om_instock' });
  });
});

describe('credentials', () => {
  it('adds access_token and the three headers to every business call', async () => {
    const { seen, fetch } = recordingFetch();
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch });
    await client.workshop.getInspection({ id: '1895048896518849536' });
    const url = new URL(seen[0]!.url);
    expect(url.searchParams.get('access_token')).toBe(TOKEN);
    expect(seen[0]!.headers.get('groupName')).toBe('demo-group');
    expect(seen[0]!.headers.get('accountid')).toBe('1234567890');
    expect(seen[0]!.headers.get('X-GW-Router-Addr')).toBe('https://tf.jdy.com');
  });

  it('caches an async source until it expires, and reloads after', async () => {
    let now = 1_000_000;
    let loads = 0;
    const { cachedCredentials } = await import('../src/index.js');
    const provider = cachedCredentials(async () => ({ ...credentials, expiresAt: now + 120_000, accessToken: `${TOKEN}-${++loads}` }), {
      now: () => now,
    });
    const client = createQzzClient({ baseUrl: mock.url, credentials: provider });
    await client.workshop.getInspection({ id: '1' });
    await client.workshop.getInspection({ id: '2' });
    expect(loads).toBe(1);
    now += 119_000; // inside the refresh margin
    await client.workshop.getInspection({ id: '3' });
    expect(loads).toBe(2);
  });

  it('fetches credentials again and retries once when the gateway says the secret rotated', async () => {
    let loads = 0;
    const { fetch } = recordingFetch((_request, n) =>
      n === 1 ? Response.json({ errcode: 1030002006, description: '授权密钥校验失败' }, { status: 401 }) : undefined,
    );
    const client = createQzzClient({
      baseUrl: mock.url,
      fetch,
      credentials: async () => {
        loads++;
        return credentials;
      },
    });
    const bill = await client.projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: '1634800180022794240' } });
    expect(bill.billno).toBe('BJLL-20230306-0001');
    expect(loads).toBe(2);
  });

  it('refreshes once per rotation when many concurrent calls are refused with the rotated secret', async () => {
    // The gateway refuses every token but the newest; 50 calls sent with the old one wait on one refresh.
    let loads = 0;
    let newest = '';
    const load = async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      newest = `tok-${loads}`;
      return { ...credentials, accessToken: newest };
    };
    // Refusals arrive spread over 100 ms, most of them after the refresh has finished (it takes 20 ms).
    let sent = 0;
    const staggered = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (new URL(request.url).searchParams.get('access_token') === newest) return fetch(request);
      await new Promise((resolve) => setTimeout(resolve, 2 * sent++));
      return Response.json({ errcode: 1030002006, description: '授权密钥校验失败' }, { status: 401 });
    }) as typeof fetch;
    const client = createQzzClient({ baseUrl: mock.url, fetch: staggered, credentials: load });
    await client.workshop.getInspection({ id: '1' }); // the first token, cached
    newest = 'rotated';
    const answers = await Promise.all(Array.from({ length: 50 }, () => client.workshop.getInspection({ id: '1' })));
    expect(answers).toHaveLength(50);
    expect(loads).toBe(2);
  });
});

describe('errors', () => {
  it('HTTP 200 with success: false is a QzzBusinessError', async () => {
    const preferFailure = ((input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      request.headers.set('Prefer', 'example=businessFailure');
      return fetch(request);
    }) as typeof fetch;
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch: preferFailure });
    const error = await client.projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: '1' } }).catch((e) => e);
    expect(error).toBeInstanceOf(QzzBusinessError);
    expect(error.message).toMatch(/projectManufacturing\.pushOrderExecutionToSparePartsUse failed: the vendor answered success: false/);
    expect(error.errorCode).toBeUndefined();
  });

  it('a gateway error or non-2xx answer is a QzzGatewayError', async () => {
    const client = createQzzClient({ baseUrl: mock.url, credentials });
    const invalid = await client.workshop.getInspection({ id: 1895048896518849536 as unknown as string }).catch((e) => e);
    expect(invalid).toBeInstanceOf(QzzGatewayError);
    expect(invalid.status).toBe(422);
    const { fetch } = recordingFetch(() => Response.json({ errcode: 2000002000, description: 'system error' }, { status: 200 }));
    const gateway = await createQzzClient({ baseUrl: mock.url, credentials, fetch })
      .production.pushProductionInStockToScrap({ billdata: { id: '1' } })
      .catch((e) => e);
    expect(gateway).toBeInstanceOf(QzzGatewayError);
    expect([gateway.status, gateway.errcode, gateway.description]).toEqual([200, 2000002000, 'system error']);
  });

  it('missing credentials come back as a 401 QzzGatewayError naming the missing value, never as the rotated-secret code', async () => {
    let loads = 0;
    const client = createQzzClient({
      baseUrl: mock.url,
      credentials: async () => {
        loads++;
        return { ...credentials, groupName: '' };
      },
    });
    const error = await client.workshop.getInspection({ id: '1' }).catch((e) => e);
    expect(error).toBeInstanceOf(QzzGatewayError);
    expect(error.status).toBe(401);
    expect(error.errcode).not.toBe(1030002006);
    expect(error.description).toMatch(/Missing credentials: groupName\b/);
    expect(loads).toBe(1); // not taken for a rotated secret: no second authorisation
  });

  it("names the offending fields of the mock's 422 problem, and why", async () => {
    const client = createQzzClient({ baseUrl: mock.url, credentials });
    const error = await client.projectManufacturing
      .pushOrderExecutionToSparePartsUse({ entryPk: 1 as unknown as string, billdata: { id: 2 as unknown as string } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(QzzGatewayError);
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/HTTP 422: Invalid request: .*entryPk must be string.*billdata\.id must be string/);
  });

  it('no server is a QzzNetworkError', async () => {
    const client = createQzzClient({ baseUrl: 'http://127.0.0.1:9', credentials, retries: 0 });
    const error = await client.workshop.getInspection({ id: '1' }).catch((e) => e);
    expect(error).toBeInstanceOf(QzzNetworkError);
    expect(error.timedOut).toBe(false);
  });

  describe('against a server that never answers', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createServer(() => {});
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );

    it('times out with a QzzNetworkError', async () => {
      const client = createQzzClient({ baseUrl: url, credentials, timeoutMs: 150, retries: 0 });
      const started = Date.now();
      const error = await client.projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: '1' } }).catch((e) => e);
      expect(error).toBeInstanceOf(QzzNetworkError);
      expect(error.timedOut).toBe(true);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('times out an answer whose body stalls after its headers', async () => {
      const stalling = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"success": true, "data": ');
      });
      await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
      try {
        const client = createQzzClient({
          baseUrl: `http://127.0.0.1:${(stalling.address() as AddressInfo).port}`,
          credentials,
          timeoutMs: 150,
          retries: 0,
        });
        const error = await failure(client.workshop.getInspection({ id: '1' }), QzzNetworkError);
        expect(error.timedOut).toBe(true);
      } finally {
        await new Promise<void>((resolve) => {
          stalling.closeAllConnections();
          stalling.close(() => resolve());
        });
      }
    });

    it("aborts on the caller's signal", async () => {
      const client = createQzzClient({ baseUrl: url, credentials });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const error = await client.workshop.getInspection({ id: '1' }, { signal: controller.signal }).catch((e) => e);
      expect(error).toBeInstanceOf(QzzNetworkError);
      expect(error.message).toMatch(/aborted/);
    });
  });
});

describe('retries', () => {
  it("retries a query whose network error merely says 'aborted', and never one the caller's signal aborted", async () => {
    let calls = 0;
    const flaky = (async () => {
      calls++;
      throw new TypeError('fetch failed: socket aborted by the peer');
    }) as typeof fetch;
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch: flaky, retries: 2, retryDelayMs: 1 });
    const error = await client.workshop.getInspection({ id: '1' }).catch((e) => e);
    expect(error).toBeInstanceOf(QzzNetworkError);
    expect([error.aborted, calls]).toEqual([false, 3]);
    const controller = new AbortController();
    controller.abort();
    const aborted = await createQzzClient({ baseUrl: mock.url, credentials, retries: 2, retryDelayMs: 1 })
      .workshop.getInspection({ id: '1' }, { signal: controller.signal })
      .catch((e) => e);
    expect([aborted.aborted, aborted.timedOut]).toEqual([true, false]);
  });

  const failing = (status: number, times: number) =>
    recordingFetch((_request, n) => (n <= times ? Response.json({ errcode: 1, description: 'busy' }, { status }) : undefined));

  it('retries a read-only query after 503, with backoff', async () => {
    const { seen, fetch } = failing(503, 2);
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch, retryDelayMs: 5 });
    await client.workshop.getInspection({ id: '1' });
    expect(seen).toHaveLength(3);
  });

  it('never retries a push, a save or an audit', async () => {
    for (const call of [
      (c: QzzClient) => c.projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: '1' } }),
      (c: QzzClient) => c.engineering.saveProcess({ params: { datainfo: {} } }),
      (c: QzzClient) => c.projectManufacturing.auditTravelApplication({ billdata: {} }),
    ]) {
      const { seen, fetch } = failing(503, 1);
      const error = await call(createQzzClient({ baseUrl: mock.url, credentials, fetch, retryDelayMs: 5 })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QzzGatewayError);
      expect(seen).toHaveLength(1);
    }
  });

  it('gives up on a query after the configured retries', async () => {
    const { seen, fetch } = failing(429, 10);
    const error = await createQzzClient({ baseUrl: mock.url, credentials, fetch, retries: 1, retryDelayMs: 5 })
      .workshop.getInspection({ id: '1' })
      .catch((e) => e);
    expect(error.status).toBe(429);
    expect(seen).toHaveLength(2);
  });
});

describe('the access token stays secret', () => {
  it('appears in no error, message, JSON, string or inspection', async () => {
    const leaky = (async (input: RequestInfo | URL, init?: RequestInit) => {
      // A fetch that quotes its URL in its error, as some wrappers do.
      throw new TypeError(`request to ${new Request(input, init).url} failed`);
    }) as typeof fetch;
    const echo = recordingFetch((request) =>
      Response.json({ errcode: 40001, description: `bad token ${new URL(request.url).searchParams.get('access_token')}` }, { status: 401 }),
    );
    const errors = [
      await createQzzClient({ baseUrl: mock.url, credentials, fetch: leaky, retries: 0 })
        .workshop.getInspection({ id: '1' })
        .catch((e) => e),
      await createQzzClient({ baseUrl: mock.url, credentials, fetch: echo.fetch })
        .workshop.getInspection({ id: '1' })
        .catch((e) => e),
    ];
    for (const error of errors) {
      for (const text of [error.message, String(error), JSON.stringify(error), error.stack, inspect(error, { depth: 5 })]) {
        expect(text).not.toContain(TOKEN);
      }
    }
    expect(errors[0].message).toContain('[redacted]');
    expect(errors[1].description).toBe('bad token [redacted]');
  });
});

describe('the raw client', () => {
  it('is typed by path and carries credentials', async () => {
    const client = createQzzClient({ baseUrl: mock.url, credentials });
    const { data, response } = await client.raw.POST('/mxoc_qm/inspect_query', { body: { id: '1895048896518849536' } });
    expect(response.status).toBe(200);
    expect(data && 'success' in data && data.success).toBe(true);
  });

  it("adds access_token to a query of its own and the three headers to a caller's, the body as it was", async () => {
    const { seen, fetch } = recordingFetch(() => Response.json({ success: true, data: {} }));
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch });
    await client.raw.POST('/mxoc_qm/inspect_query', { body: { id: '1' }, headers: { 'X-Trace': 't-1' } });
    const sent = seen[0]!;
    expect(new URL(sent.url).search).toBe(`?access_token=${TOKEN}`);
    expect([
      sent.headers.get('groupName'),
      sent.headers.get('accountid'),
      sent.headers.get('X-GW-Router-Addr'),
      sent.headers.get('X-Trace'),
    ]).toEqual(['demo-group', '1234567890', 'https://tf.jdy.com', 't-1']);
    expect(await sent.json()).toEqual({ id: '1' });
  });

  it("sends the gateway's signed paths without business credentials", async () => {
    const { seen, fetch } = recordingFetch(() => Response.json({ errcode: 0, data: [] }));
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch });
    const header = {
      'X-Api-Auth-Version': '2.0',
      'X-Api-TimeStamp': '1',
      'X-Api-Nonce': '1',
      'X-Api-SignHeaders': 'X-Api-TimeStamp,X-Api-Nonce',
    } as const;
    await client.raw.POST('/jdyconnector/app_management/push_app_authorize', {
      params: { query: { outerInstanceId: 'OI' }, header },
      body: {},
    });
    const sent = seen[0]!;
    expect(new URL(sent.url).searchParams.has('access_token')).toBe(false);
    expect([sent.headers.get('groupName'), sent.headers.get('accountid'), sent.headers.get('X-GW-Router-Addr')]).toEqual([
      null,
      null,
      null,
    ]);
  });

  it('runs middleware on whole Requests, and keeps the credentials and body of a Request it replaces', async () => {
    const { seen, fetch } = recordingFetch(() => Response.json({ success: true, data: {} }));
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch });
    const bodies: string[] = [];
    client.raw.use({
      async onRequest({ request }) {
        bodies.push(await request.clone().text());
        const replaced = new Request(request, { headers: new Headers(request.headers) });
        replaced.headers.set('X-From-Middleware', 'yes');
        return replaced;
      },
    });
    await client.raw.POST('/mxoc_qm/inspect_query', { body: { id: '2' } });
    expect(bodies).toEqual(['{"id":"2"}']);
    const sent = seen[0]!;
    expect(new URL(sent.url).searchParams.get('access_token')).toBe(TOKEN);
    expect([sent.headers.get('groupName'), sent.headers.get('X-From-Middleware')]).toEqual(['demo-group', 'yes']);
    expect(await sent.json()).toEqual({ id: '2' });
  });

  it("hands a call's own fetch a whole Request, body and credentials included", async () => {
    const seen: Request[] = [];
    const client = createQzzClient({ baseUrl: mock.url, credentials });
    await client.raw.POST('/mxoc_qm/inspect_query', {
      body: { id: '3' },
      fetch: async (request) => {
        seen.push(request.clone());
        return Response.json({ success: true, data: {} });
      },
    });
    expect(new URL(seen[0]!.url).searchParams.get('access_token')).toBe(TOKEN);
    expect(seen[0]!.headers.get('groupName')).toBe('demo-group');
    expect(await seen[0]!.json()).toEqual({ id: '3' });
  });
});

describe('the action table', () => {
  it('marks signed exactly the actions whose operation requires the gateway signature scheme', () => {
    for (const action of listActions(doc)) {
      const operation = doc.paths[action.path][action.method];
      const requirements: Array<Record<string, unknown>> = operation.security ?? doc.security;
      const entry: unknown = Reflect.get(Reflect.get(actionTable, moduleOf(action.tag)), action.name);
      expect(entry, action.name).toMatchObject({ signed: requirements.some((r) => 'kingdeeSignature' in r) });
    }
  });
});

describe('aborting during a retry', () => {
  it('rejects with a QzzNetworkError, not the raw abort reason', async () => {
    const controller = new AbortController();
    const fetch = (async () => {
      setTimeout(() => controller.abort(), 5);
      return Response.json({ errcode: 1, description: 'busy' }, { status: 503 });
    }) as typeof globalThis.fetch;
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch, retryDelayMs: 1_000 });
    const error = await client.workshop.getInspection({ id: '1' }, { signal: controller.signal }).catch((e) => e);
    expect(error).toBeInstanceOf(QzzNetworkError);
    expect(error.message).toMatch(/aborted/);
  });
});

describe('client.call: any route', () => {
  it('sends a route with the credentials and unwraps the envelope, like an action function', async () => {
    const { seen, fetch } = recordingFetch();
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch });
    const data = (await client.call('/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup', {
      operation: 'push',
      billdata: { id: '1634800180022794240' },
    })) as { billno: string };
    expect(data.billno).toBe('BJLL-20230306-0001');
    const sent = seen[0]!;
    expect(new URL(sent.url).searchParams.get('access_token')).toBe(TOKEN);
    expect([sent.headers.get('groupName'), sent.headers.get('accountid'), sent.headers.get('X-GW-Router-Addr')]).toEqual([
      'demo-group',
      '1234567890',
      'https://tf.jdy.com',
    ]);
    expect(await sent.json()).toEqual({ operation: 'push', billdata: { id: '1634800180022794240' } });
  });

  it('sends JSON text in a text/plain body when asked', async () => {
    const { seen, fetch } = recordingFetch();
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch });
    await client.call('/mxoc_0001_mxoc_pq/backup_query', { id: '1591518046361500672' }, { contentType: 'text/plain', kind: 'query' });
    expect(seen[0]!.headers.get('content-type')).toBe('text/plain');
    expect(await seen[0]!.text()).toBe('{"id":"1591518046361500672"}');
  });

  it('answers a route the mock does not know with a typed error, and retries only a query', async () => {
    const client = createQzzClient({ baseUrl: mock.url, credentials });
    const unknown = await failure(client.call('/mxoc_pom/not_in_the_spec', {}), QzzGatewayError);
    expect(unknown.status).toBe(404);
    expect(unknown.action).toBe('POST /mxoc_pom/not_in_the_spec');
    const attempts = async (kind?: 'query' | 'push') => {
      const { seen, fetch } = recordingFetch(() => new Response('busy', { status: 503 }));
      await createQzzClient({ baseUrl: mock.url, credentials, fetch, retries: 2, retryDelayMs: 1 })
        .call('/mxoc_pom/anything', {}, kind ? { kind } : {})
        .catch(() => undefined);
      return seen.length;
    };
    expect([await attempts('query'), await attempts('push'), await attempts()]).toEqual([3, 1, 1]);
  });

  it('refuses a route that is not a path, before sending anything', async () => {
    const { seen, fetch } = recordingFetch();
    const client = createQzzClient({ baseUrl: mock.url, credentials, fetch });
    for (const route of ['mxoc_pom/x', 'https://evil.example/x', '//evil.example/x', '/x?access_token=1', '']) {
      await expect(client.call(route, {})).rejects.toThrow(TypeError);
    }
    expect(seen).toHaveLength(0);
  });
});

describe('an operation with a server of its own', () => {
  it('is called under its server prefix, on the gateway and on the mock', async () => {
    const { seen, fetch } = recordingFetch();
    const client = createQzzClient({ baseUrl: `${mock.url}/`, credentials, fetch });
    await client.production.queryProductionInStock({
      unpage: '',
      pageSize: '10',
      pageIndex: '1',
      search: '',
      billstatus: 'all',
      dateSearch: 'all',
    });
    expect(new URL(seen[0]!.url).pathname).toBe('/mxocminimes/mxoc_pom/mxoc_pom_instocknew_query');
    const { seen: gateway, fetch: offline } = recordingFetch(() => Response.json({ success: true, data: [] }));
    await createQzzClient({ credentials, fetch: offline }).production.queryProductionInStock({});
    expect(gateway[0]!.url.split('?')[0]).toBe('https://api.kingdee.com/mxocminimes/mxoc_pom/mxoc_pom_instocknew_query');
  });
});

describe('answerSucceeded: the one success rule, for answers the client did not fetch', () => {
  it('a business call succeeds on success: true; the gateway’s signed calls on errcode 0; both only with a 2xx status', () => {
    expect(answerSucceeded('business', 200, { success: true, data: {} })).toBe(true);
    expect(answerSucceeded('gateway', 200, { errcode: 0, description: '成功', data: {} })).toBe(true);
    expect(answerSucceeded('business', 200, { errcode: 0 })).toBe(false);
    expect(answerSucceeded('gateway', 200, { success: true })).toBe(false);
    expect(answerSucceeded('gateway', 200, { errcode: '0' })).toBe(false);
    expect(answerSucceeded('business', 500, { success: true })).toBe(false);
    expect(answerSucceeded('gateway', 401, { errcode: 0 })).toBe(false);
    expect(answerSucceeded('business', 200, [{ success: true }])).toBe(false);
  });
});
