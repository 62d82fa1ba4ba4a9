// The mock over real HTTP, as a client sees it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deref, listActions } from '@qzz/spec/actions';
import { schemaValidator } from '@qzz/spec/validate';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrefer, startMock } from '../src/index.js';
import { SIGNED } from './helpers.js';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const validator = schemaValidator(doc);
const CREDENTIALS = { groupName: 'demo-group', accountid: '1234567890', 'X-GW-Router-Addr': 'https://tf.jdy.com' };
const SEED = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';

let mock;
beforeAll(async () => {
  mock = await startMock({ port: 0 });
});
afterAll(() => mock?.close());

/**
 * POSTs `body` (JSON text unless a string) with the gateway credentials, unless told otherwise (`token: null`: none).
 * @param {string} path
 * @param {unknown} body
 * @param {{ headers?: Record<string, string>, token?: string | null, type?: string }} [options]
 */
function post(path, body, { headers = {}, token = 'test-token', type = 'application/json' } = {}) {
  const url = new URL(path, mock.url);
  if (token) url.searchParams.set('access_token', token);
  return fetch(url, {
    method: 'POST',
    headers: { ...(token ? CREDENTIALS : {}), 'content-type': type, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** An action's documented request: its path, its body as the vendor sends it, and its content type. */
function documentedRequest(action) {
  const [type, media] = Object.entries(doc.paths[action.path].post.requestBody.content)[0];
  return { type, body: deref(doc, media.examples[action.examples.request]).value };
}

const businessActions = listActions(doc).filter((a) => a.method === 'post' && !a.signed);

describe('each action answers its documented request', () => {
  it.each(businessActions.map((a) => [a.name, a]))('%s', async (_name, action) => {
    const { type, body } = documentedRequest(action);
    const res = await post(action.wirePath, body, { type });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-qzz-action')).toBe(action.name);
    const answer = await res.json();
    if (action.examples.response) {
      const media = doc.paths[action.path].post.responses['200'].content['application/json'];
      expect(answer).toEqual(deref(doc, media.examples[action.examples.response]).value);
    } else {
      // Generated from this action's own response schema.
      expect(answer).toMatchObject({ success: true });
      const validate = validator.compile(action.response);
      expect(validate(answer.data), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('the seed request gets the masked seed response, equal to the example in the spec', async () => {
    const res = await post(SEED, { operation: 'push', entryPk: '1634800180022794240', billdata: { id: '1634800180022794240' } });
    const answer = await res.json();
    expect(answer.data.billno).toBe('BJLL-20230306-0001');
    expect(answer.data.creatorid_phone).toBe('173****8237');
    expect(answer).toEqual(doc.components.examples.pushOrderExecutionToSparePartsUse_response.value);
  });

  it("never answers with another action's example on a shared path", async () => {
    const transfer = businessActions.filter((a) => a.path === '/mxoc_qwms/push_transfer');
    for (const action of transfer) {
      const res = await post(action.wirePath, documentedRequest(action).body);
      expect(res.headers.get('x-qzz-action')).toBe(action.name);
      const data = (await res.json()).data;
      expect(validator.compile(action.response)(data)).toBe(true);
    }
    const [toProduction, toOutsourced] = transfer;
    expect(toProduction.response).not.toBe(toOutsourced.response);
  });

  it("the gateway's token call answers its signed GET", async () => {
    const url = new URL('/jdyconnector/app_management/kingdee_auth_token', mock.url);
    url.search = new URLSearchParams({
      app_key: 'abc',
      app_signature: 'ZDljMTI3NGIyNTE1MTRkYzlkNjc1MDNhYjUzMzgzNWMyY2M4YTdjMzdmNmM3YTVlNDkxMTkzNjdiOTFjNzUyZQ==',
    }).toString();
    const res = await fetch(url, { headers: SIGNED });
    expect(res.status).toBe(200);
    expect(validator.compile('#/components/schemas/KingdeeAuthTokenResponse')(await res.json())).toBe(true);
    expect((await fetch(url)).status).toBe(401);
  });
});

describe('requests are validated against the spec', () => {
  const seedBody = { operation: 'push', entryPk: '1634800180022794240', billdata: { id: '1634800180022794240' } };

  it('answers 401 without credentials, and without any one of the four', async () => {
    expect((await post(SEED, seedBody, { token: null })).status).toBe(401);
    for (const missing of ['groupName', 'accountid', 'X-GW-Router-Addr']) {
      const headers = { ...CREDENTIALS };
      delete headers[missing];
      const url = new URL(SEED, mock.url);
      url.searchParams.set('access_token', 't');
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(seedBody),
      });
      expect(res.status, missing).toBe(401);
      expect(await res.json()).toHaveProperty('errcode');
    }
  });

  // The README's rule holds for every business route, the production in-stock query too: its third-party guide
  // shows no credentials, which the spec does not read as the gateway waiving them.
  it.each(businessActions.map((a) => [a.name, a]))('answers 401 to %s without credentials', async (_name, action) => {
    const { type, body } = documentedRequest(action);
    const res = await post(action.wirePath, body, { type, token: null });
    expect(res.status).toBe(401);
    expect((await res.json()).missing).toEqual(['access_token', 'groupName', 'accountid', 'X-GW-Router-Addr']);
  });

  it('answers 422 problem+json naming each offending field', async () => {
    const res = await post(SEED, { operation: 'push', entryPk: 1634800180022794240, billdata: { id: 1634800180022794240 } });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = await res.json();
    const fields = problem.validation.map((v) => v.location.join('.'));
    expect(fields).toEqual(expect.arrayContaining(['body.entryPk', 'body.billdata.id']));
  });

  it('names the field against the action the body asks for, on a shared path', async () => {
    const res = await post('/mxoc_om_ext/om_operate', {
      operation: 'push',
      formid: 'mxoc_om_receiplist',
      push: 'mxoc_om_instock',
      billdata: { id: 1504361460845790208 },
    });
    expect(res.status).toBe(422);
    expect((await res.json()).validation).toEqual([expect.objectContaining({ location: ['body', 'billdata', 'id'], code: 'type' })]);
  });

  it('checks the JSON inside a text/plain body', async () => {
    const bad = await post('/mxoc_0001_mxoc_pq/backup_query', JSON.stringify({ id: 1591518046361500672 }), { type: 'text/plain' });
    expect(bad.status).toBe(422);
    expect((await bad.json()).validation[0].location).toEqual(['body', 'id']);
    const notJson = await post('/mxoc_0001_mxoc_pq/backup_query', '{"id": "1591518046361500672"', { type: 'text/plain' });
    expect(notJson.status).toBe(422);
    expect((await notJson.json()).detail).toMatch(/not JSON/);
  });

  it('answers 400 for malformed JSON, 404 for an unknown path, 405 for a wrong method', async () => {
    const malformed = await post(SEED, '{"operation": "push",');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ status: 400, detail: expect.stringMatching(/not valid JSON/) });
    const unknown = await post('/mxoc_pom/no_such_route', {});
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect((await fetch(new URL(SEED, mock.url))).status).toBe(405);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const res = await post(SEED, JSON.stringify({ billdata: { id: '1', pad: 'x'.repeat(1024 * 1024) } }));
    expect(res.status).toBe(413);
  });
});

describe('Prefer', () => {
  it('chooses the HTTP-200 business-failure example', async () => {
    const res = await post(SEED, { billdata: { id: '1634800180022794240' } }, { headers: { Prefer: 'example=businessFailure' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: false });
  });

  it('chooses a status code, and reports an example the action does not have', async () => {
    const res = await post(SEED, { billdata: { id: '1634800180022794240' } }, { headers: { Prefer: 'code=429' } });
    expect(res.status).toBe(429);
    expect(await res.json()).toHaveProperty('errcode');
    const missing = await post(SEED, { billdata: { id: '1634800180022794240' } }, { headers: { Prefer: 'example=noSuchExample' } });
    expect(missing.status).toBe(404);
  });

  it('parses the header', () => {
    expect(parsePrefer('code=200, example="businessFailure"')).toEqual({ code: 200, exampleKey: 'businessFailure' });
    expect(parsePrefer('dynamic=true')).toEqual({ dynamic: true });
    expect(parsePrefer('code=abc, nonsense')).toEqual({});
  });
});

describe('robustness', () => {
  it('survives 1,000 random malformed requests with no 5xx, then still answers correctly', async () => {
    const paths = [...new Set(businessActions.map((a) => a.wirePath)), '/', '/nope', `${SEED}/extra`];
    const request = fc.record({
      method: fc.constantFrom('POST', 'GET', 'PUT', 'DELETE', 'PATCH'),
      path: fc.constantFrom(...paths),
      type: fc.constantFrom('application/json', 'text/plain', 'application/xml', 'application/x-www-form-urlencoded', ''),
      body: fc.oneof(
        fc.string(),
        fc.json(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.uint8Array().map((b) => Buffer.from(b).toString('latin1')),
      ),
      credentials: fc.boolean(),
      prefer: fc.option(fc.constantFrom('code=500', 'example=x', 'dynamic=true', 'code=200, example=businessFailure', ';;=,'), {
        nil: undefined,
      }),
    });
    const samples = fc.sample(request, { numRuns: 1000, seed: 20261128 });
    const statuses = [];
    const unclear = [];
    for (let i = 0; i < samples.length; i += 50) {
      const batch = samples.slice(i, i + 50).map(async ({ method, path, type, body, credentials, prefer }) => {
        const url = new URL(path, mock.url);
        if (credentials) url.searchParams.set('access_token', 't');
        const headers = {
          ...(credentials ? CREDENTIALS : {}),
          ...(type ? { 'content-type': type } : {}),
          ...(prefer ? { Prefer: prefer } : {}),
        };
        const res = await fetch(url, { method, headers, body: method === 'GET' ? undefined : body });
        const text = await res.text();
        // Every refusal says why: a problem's detail, or the gateway's errcode and description.
        if (res.status >= 400) {
          const answer = JSON.parse(text);
          if (!(answer.detail || (answer.errcode && answer.description))) unclear.push(`${method} ${path} ${res.status} ${text}`);
        }
        return res.status;
      });
      statuses.push(...(await Promise.all(batch)));
    }
    expect(statuses).toHaveLength(1000);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(unclear).toEqual([]);
    const after = await post(SEED, { operation: 'push', entryPk: '1634800180022794240', billdata: { id: '1634800180022794240' } });
    expect((await after.json()).data.billno).toBe('BJLL-20230306-0001');
  });
});

describe('properties', () => {
  it('answers any well-formed seed request with the seed example, whatever its ids', async () => {
    const id = fc.stringMatching(/^-?[1-9][0-9]{0,18}$/);
    await fc.assert(
      fc.asyncProperty(id, fc.option(id, { nil: undefined }), async (billId, entryPk) => {
        const res = await post(SEED, { operation: 'push', ...(entryPk ? { entryPk } : {}), billdata: { id: billId } });
        expect(res.status).toBe(200);
        expect((await res.json()).data.billno).toBe('BJLL-20230306-0001');
      }),
      { numRuns: 200, seed: 20261128 },
    );
  });

  it('never writes the access token into a log line', async () => {
    const lines = [];
    const logged = await startMock({ port: 0, log: (line) => lines.push(line) });
    try {
      const token = 'tok-LOGGED-9d1e';
      for (const path of [SEED, '/nope', '/mxoc_qm/inspect_query']) {
        const url = new URL(path, logged.url);
        url.searchParams.set('access_token', token);
        await (
          await fetch(url, {
            method: 'POST',
            headers: { ...CREDENTIALS, 'content-type': 'application/json' },
            body: '{"id":"1","billdata":{"id":"1"}}',
          })
        ).text();
      }
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).not.toContain(token);
    } finally {
      await logged.close();
    }
  });
});

describe('an operation with a server of its own', () => {
  it('is served under its server prefix, and not at the bare path', async () => {
    const query = listActions(doc).find((a) => a.name === 'queryProductionInStock');
    expect(query.wirePath).toBe('/mxocminimes/mxoc_pom/mxoc_pom_instocknew_query');
    const body = documentedRequest(query).body;
    const res = await post(query.wirePath, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-qzz-action')).toBe('queryProductionInStock');
    expect((await post(query.path, body)).status).toBe(404);
  });
});
