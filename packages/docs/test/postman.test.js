// The Postman collection the site serves: valid v2.1, one request per action as the spec describes it, and run
// with newman (its Node API) against @qzz/mock and its sandbox over real HTTP, every assertion passing with only
// the base URL and credentials given. The signed calls are checked against @qzz/client's own signing.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import validators from '@har-sdk/validator';
import { appSignature, signedHeaders } from '@qzz/client';
import { startMock } from '@qzz/mock';
import { listActions, matchesSelect } from '@qzz/spec/actions';
import newman from 'newman';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARAZZO_FILE } from '../src/arazzo.js';
import { titleOf } from '../src/compose.js';
import { POSTMAN_FILE } from '../src/postman.js';
import { startDocsServer } from '../src/serve.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const actions = listActions(doc);
// The collection as the site serves it (`pnpm build` writes it; turbo builds before it tests).
const served = JSON.parse(readFileSync(join(dist, POSTMAN_FILE), 'utf8'));

const requests = served.item.flatMap((folder) => folder.item.map((item) => ({ folder, item })));
/** The request of an action: its description names the client's function. */
const requestOf = (action) => requests.find(({ item }) => item.request.description.startsWith(`\`${action.name}\``));

// Values with URL-special characters, and secrets that must never be sent.
const VARIABLES = {
  accessToken: 'tok/+?&=#%20;:@ $!',
  groupName: 'group&name=1',
  accountId: '1651#2?',
  routerAddr: 'https://tf.jdy.com/?a=b&c',
  clientId: 'client id&=?',
  clientSecret: 'client-secret/+?&=#%',
  outerInstanceId: 'OI 9&x=1',
  appKey: 'app key/+',
  appSecret: 'app-secret&=?',
};
const SECRETS = [VARIABLES.clientSecret, VARIABLES.appSecret];

/**
 * Runs a collection with newman against `baseUrl`, giving only the base URL and the credentials as variables.
 * Resolves to newman's summary, every assertion by request, and the requests as sent (after the scripts).
 */
function runNewman(collection, baseUrl) {
  const assertions = [];
  const sent = [];
  return new Promise((resolve, reject) => {
    newman
      .run(
        { collection, reporters: [], envVar: Object.entries({ baseUrl, ...VARIABLES }).map(([key, value]) => ({ key, value })) },
        (error, summary) => (error ? reject(error) : resolve({ summary, assertions, sent })),
      )
      .on('assertion', (error, args) => assertions.push({ item: args.item.name, name: args.assertion, failed: Boolean(error) }))
      .on('request', (error, args) => {
        if (error) return;
        sent.push({
          item: args.item.name,
          method: args.request.method,
          url: args.request.url.toString(),
          headers: Object.fromEntries(args.request.headers.all().map((h) => [h.key.toLowerCase(), h.value])),
          body: args.request.body?.raw ?? '',
          answer: args.response.stream.toString('utf8'),
        });
      });
  });
}

describe('the collection', () => {
  it('is a valid Postman v2.1 collection, as the site serves it', async () => {
    const validator = new validators.PostmanValidator();
    expect(await validator.verify(served)).toEqual([]);
    // The validator does tell a broken collection.
    expect((await validator.verify({ ...served, item: [{ name: 1 }] })).length).toBeGreaterThan(0);
  });

  it('has one request per action, with the values that select it, grouped by module in Chinese and English', () => {
    expect(requests).toHaveLength(actions.length);
    for (const action of actions) {
      const { folder, item } = requestOf(action);
      const tag = doc.tags.find((t) => t.name === action.tag);
      expect(folder.name, action.name).toBe(`${tag.name} · ${tag['x-displayName']}`);
      expect(item.name).toBe(titleOf(doc, action));
      if (action.signed) continue;
      // The vendor's Chinese title, then its English.
      expect(item.name).toMatch(/^[^ -~].* · [A-Za-z]/);
      // JSON, or for text/plain routes the JSON text the vendor documents: either way the selecting values are in it.
      const body = JSON.parse(item.request.body.raw);
      expect(matchesSelect(action.select, body), action.name).toBe(true);
    }
  });

  it('sends every business call with the four credentials, to its wire path (the in-stock query under its own server)', () => {
    const business = actions.filter((a) => !a.signed);
    const ownServer = business.filter((a) => a.wirePath !== a.path);
    expect(ownServer.length).toBeGreaterThan(0);
    for (const action of business) {
      const { request } = requestOf(action).item;
      expect(request.url.raw.split('?')[0], action.name).toBe(`{{baseUrl}}${action.wirePath}`);
      expect(request.url.query).toEqual([{ key: 'access_token', value: '{{accessToken}}' }]);
      const headers = Object.fromEntries(request.header.map((h) => [h.key, h.value]));
      expect(headers).toMatchObject({ groupName: '{{groupName}}', accountid: '{{accountId}}', 'X-GW-Router-Addr': '{{routerAddr}}' });
      const contentType = Object.keys(doc.paths[action.path].post.requestBody.content)[0];
      expect(headers['Content-Type']).toBe(contentType);
      if (contentType === 'text/plain') {
        // The vendor's JSON text as it stands.
        const example = doc.components.examples[action.examples.request].value;
        expect(request.body.raw).toBe(example);
        expect(request.body.options.raw.language).toBe('text');
      }
    }
  });
});

describe('the site', () => {
  it('links the collection and the workflows from its introduction, and serves them', async () => {
    const site = JSON.parse(readFileSync(join(dist, 'openapi.json'), 'utf8'));
    const docs = await startDocsServer({ port: 0, log: () => {} });
    try {
      for (const [file, type] of [
        [POSTMAN_FILE, 'application/json'],
        [ARAZZO_FILE, 'application/yaml'],
      ]) {
        expect(site.info.description).toContain(`](${file})`);
        const res = await fetch(new URL(file, docs.url));
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(type);
        expect(await res.text()).toBe(readFileSync(join(dist, file), 'utf8'));
      }
    } finally {
      await docs.close();
    }
  });
});

describe('newman against the mock and the sandbox', () => {
  let mock;
  let sandbox;
  beforeAll(async () => {
    [mock, sandbox] = await Promise.all([startMock({ port: 0 }), startMock({ port: 0, sandbox: true })]);
  });
  afterAll(async () => {
    await Promise.all([mock?.close(), sandbox?.close()]);
  });

  it('passes every assertion against the mock, and checks every action’s data against its schema', async () => {
    const { summary, assertions } = await runNewman(served, mock.url);
    expect(summary.run.failures.map((f) => `${f.source?.name}: ${f.error?.message}`)).toEqual([]);
    expect(summary.run.stats.requests).toEqual({ total: actions.length, pending: 0, failed: 0 });
    for (const action of actions) {
      const ran = assertions.filter((a) => a.item === titleOf(doc, action)).map((a) => a.name);
      expect(ran, action.name).toEqual([
        'HTTP 200',
        `the answer fits ${action.operationId}'s 200 schema`,
        `data fits ${action.response.split('/').at(-1)}`,
      ]);
    }
    expect(assertions.filter((a) => a.failed)).toEqual([]);
  });

  it('passes every assertion against the sandbox; only a request naming no held bill is a business failure', async () => {
    const { summary, assertions, sent } = await runNewman(served, sandbox.url);
    expect(summary.run.failures.map((f) => `${f.source?.name}: ${f.error?.message}`)).toEqual([]);
    expect(assertions.filter((a) => a.failed)).toEqual([]);
    const withoutData = actions.filter((a) => !assertions.some((x) => x.item === titleOf(doc, a) && x.name.startsWith('data fits')));
    for (const action of withoutData) {
      const answer = JSON.parse(sent.find((s) => s.item === titleOf(doc, action)).answer);
      expect(answer, action.name).toEqual({ success: false, message: expect.stringMatching(/^The sandbox holds no such bill/) });
    }
    // The one request that names no bill the sandbox holds: the audit's documented body carries no bill id.
    expect(withoutData.map((a) => a.name)).toEqual(['auditTravelApplication']);
    // The credentials arrive as given, URL-special characters and all.
    for (const request of sent.filter((s) => !actions.find((a) => titleOf(doc, a) === s.item).signed)) {
      expect(new URL(request.url).searchParams.get('access_token')).toBe(VARIABLES.accessToken);
      expect(request.headers).toMatchObject({ groupname: VARIABLES.groupName, accountid: VARIABLES.accountId });
      expect(request.headers['x-gw-router-addr']).toBe(VARIABLES.routerAddr);
    }
  });

  it('signs the gateway’s own calls as @qzz/client does, and sends no secret', async () => {
    const { sent } = await runNewman(served, mock.url);
    const signed = actions.filter((a) => a.signed);
    expect(signed.length).toBeGreaterThan(0);
    for (const action of signed) {
      const request = sent.find((s) => s.item === titleOf(doc, action));
      const { headers } = request;
      // What the gateway reads: the query as the URL carries it, decoded once.
      const query = Object.fromEntries(new URL(request.url).searchParams);
      const expected = await signedHeaders(
        { clientId: VARIABLES.clientId, clientSecret: VARIABLES.clientSecret },
        action.method,
        action.path,
        query,
        { now: Number(headers['x-api-timestamp']), nonce: headers['x-api-nonce'] },
      );
      expect(headers, action.name).toMatchObject(Object.fromEntries(Object.entries(expected).map(([k, v]) => [k.toLowerCase(), v])));
      // Each parameter arrives whole, with the value of its variable.
      const params = requestOf(action).item.request.url.query.filter((q) => !q.disabled);
      expect(Object.keys(query).sort()).toEqual(params.map((q) => q.key).sort());
      for (const q of params.filter((q) => q.value.startsWith('{{'))) expect(query[q.key]).toBe(VARIABLES[q.value.slice(2, -2)]);
      if ('app_signature' in query) {
        expect(query.app_signature).toBe(await appSignature(VARIABLES.appKey, VARIABLES.appSecret));
      }
    }
    // No secret in any request sent, in any form the URL or a header could carry it.
    const wire = JSON.stringify(sent.map(({ answer: _, ...request }) => request));
    for (const secret of SECRETS) {
      for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) expect(wire).not.toContain(form);
    }
  });
});
