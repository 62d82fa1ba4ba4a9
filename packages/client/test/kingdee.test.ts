// The Kingdee OpenAPI 2.0 provider against a fake gateway that checks every signature.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { startMock } from '@qzz/mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createQzzClient, kingdeeCredentials, QzzGatewayError } from '../src/index.js';

const CLIENT = { clientId: 'cid-1', clientSecret: 'client-SECRET-77' };
const hexBase64 = (key: string, message: string) => Buffer.from(createHmac('sha256', key).update(message).digest('hex')).toString('base64');
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Checks a request's X-Api-* signature the way the gateway would. */
function signatureOk(req: IncomingMessage, url: URL): boolean {
  const h = (name: string) => String(req.headers[name.toLowerCase()] ?? '');
  const query = [...url.searchParams.keys()]
    .sort()
    .map((k) => `${enc(enc(k))}=${enc(enc(url.searchParams.get(k)!))}`)
    .join('&');
  const text = `${req.method}\n${enc(url.pathname)}\n${query}\nx-api-nonce:${h('X-Api-Nonce')}\nx-api-timestamp:${h('X-Api-TimeStamp')}\n`;
  return (
    h('X-Api-ClientID') === CLIENT.clientId &&
    h('X-Api-Auth-Version') === '2.0' &&
    h('X-Api-SignHeaders') === 'X-Api-TimeStamp,X-Api-Nonce' &&
    h('X-Api-Signature') === hexBase64(CLIENT.clientSecret, text)
  );
}

let gateway: Server;
let gatewayUrl: string;
const calls: string[] = [];
let appSecrets: string[];
let tokenAnswers: Array<(secret: string) => object>;

beforeAll(async () => {
  gateway = createServer((req, res) => {
    const url = new URL(req.url!, 'http://gateway.invalid');
    calls.push(`${req.method} ${url.pathname}`);
    const send = (body: object, status = 200) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (!signatureOk(req, url)) return send({ errcode: 519, description: 'X-Api-Signature is invalid' }, 519);
    if (
      req.method === 'POST' &&
      url.pathname === '/jdyconnector/app_management/push_app_authorize' &&
      url.searchParams.get('outerInstanceId') === 'OI-9'
    ) {
      const appSecret = appSecrets.shift()!;
      currentSecret = appSecret;
      return send({
        errcode: 0,
        description: '成功',
        data: [
          {
            appKey: 'old',
            appSecret: 'x',
            domain: 'https://old.jdy.com',
            accountId: 'A0',
            groupName: 'G0',
            status: 0,
            serviceId: 's',
            outerInstanceId: 'OI-9',
            accountName: 'old set',
          },
          {
            appKey: 'abc',
            appSecret,
            domain: 'https://tf.jdy.com',
            accountId: 'A1',
            groupName: 'G1',
            status: 1,
            serviceId: 's',
            outerInstanceId: 'OI-9',
            accountName: '某某生产制造有限公司',
          },
        ],
      });
    }
    if (req.method === 'GET' && url.pathname === '/jdyconnector/app_management/kingdee_auth_token') {
      if (url.searchParams.get('app_signature') !== hexBase64(currentSecret, url.searchParams.get('app_key')!))
        return send({ errcode: 1030002006, description: '授权密钥校验失败' });
      return send(tokenAnswers.shift()!(currentSecret));
    }
    send({ errcode: 404, description: 'No Route' }, 404);
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => gateway.close(() => resolve())));
let currentSecret = '';
beforeEach(() => {
  calls.length = 0;
  appSecrets = ['app-SECRET-1', 'app-SECRET-2'];
  tokenAnswers = [
    () => ({
      errcode: 0,
      description: '成功',
      data: { access_token: 'token-SECRET-A', 'app-token': 'x', expires: Date.now() + 86_400_000 },
    }),
  ];
});

describe('kingdeeCredentials', () => {
  it('authorises, signs, gets the token, and maps the account set onto the four values', async () => {
    const provider = kingdeeCredentials({ ...CLIENT, outerInstanceId: 'OI-9', baseUrl: gatewayUrl });
    const credentials = await provider.get();
    expect(credentials).toMatchObject({
      accessToken: 'token-SECRET-A',
      groupName: 'G1',
      accountId: 'A1',
      routerAddr: 'https://tf.jdy.com',
    });
    expect(credentials.expiresAt! - Date.now()).toBeLessThanOrEqual(22 * 3_600_000);
    expect(calls).toEqual(['POST /jdyconnector/app_management/push_app_authorize', 'GET /jdyconnector/app_management/kingdee_auth_token']);
    await provider.get();
    expect(calls).toHaveLength(2); // cached
  });

  it('authorises again and retries once when the secret rotated (1030002006)', async () => {
    tokenAnswers = [
      () => ({ errcode: 1030002006, description: '授权密钥校验失败' }),
      () => ({ errcode: 0, description: '成功', data: { access_token: 'token-SECRET-B', expires: Date.now() + 3_600_000 } }),
    ];
    const credentials = await kingdeeCredentials({ ...CLIENT, outerInstanceId: 'OI-9', baseUrl: gatewayUrl }).get();
    expect(credentials.accessToken).toBe('token-SECRET-B');
    expect(calls).toHaveLength(4);
  });

  it('gives up after one retry, with a typed error that names no secret', async () => {
    tokenAnswers = [
      () => ({ errcode: 1030002006, description: '授权密钥校验失败' }),
      (secret) => ({ errcode: 1030002006, description: `rejected ${secret} for ${CLIENT.clientSecret}` }),
    ];
    const error = await kingdeeCredentials({ ...CLIENT, outerInstanceId: 'OI-9', baseUrl: gatewayUrl })
      .get()
      .catch((e) => e);
    expect(error).toBeInstanceOf(QzzGatewayError);
    expect(error.errcode).toBe(1030002006);
    for (const text of [error.message, JSON.stringify(error), inspect(error)]) {
      for (const secret of ['app-SECRET-2', CLIENT.clientSecret]) expect(text).not.toContain(secret);
    }
  });

  it('reports a bad client secret as the gateway does', async () => {
    const error = await kingdeeCredentials({ ...CLIENT, clientSecret: 'wrong', outerInstanceId: 'OI-9', baseUrl: gatewayUrl })
      .get()
      .catch((e) => e);
    expect(error).toBeInstanceOf(QzzGatewayError);
    expect(error.status).toBe(519);
    expect(error.description).toBe('X-Api-Signature is invalid');
  });

  it('picks the account set asked for, and says so when there is none', async () => {
    const missing = await kingdeeCredentials({ ...CLIENT, outerInstanceId: 'OI-9', accountId: 'nope', baseUrl: gatewayUrl })
      .get()
      .catch((e) => e);
    expect(missing.message).toMatch(/no complete account set with accountId nope/);
    expect(() => kingdeeCredentials({ ...CLIENT, outerInstanceId: '' })).toThrow(/outerInstanceId/);
  });

  it('feeds a client whose calls then carry the token', async () => {
    const mock = await startMock({ port: 0 });
    try {
      const seen: Request[] = [];
      const client = createQzzClient({
        baseUrl: mock.url,
        credentials: kingdeeCredentials({ ...CLIENT, outerInstanceId: 'OI-9', baseUrl: gatewayUrl }),
        fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
          const request = new Request(input, init);
          seen.push(request);
          return fetch(request);
        }) as typeof fetch,
      });
      const bill = await client.projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: '1634800180022794240' } });
      expect(bill.billno).toBe('BJLL-20230306-0001');
      expect(new URL(seen[0]!.url).searchParams.get('access_token')).toBe('token-SECRET-A');
      expect(seen[0]!.headers.get('X-GW-Router-Addr')).toBe('https://tf.jdy.com');
    } finally {
      await mock.close();
    }
  });

  it("signs the client's own system.* calls", async () => {
    const client = createQzzClient({
      baseUrl: gatewayUrl,
      credentials: { accessToken: 't', groupName: 'g', accountId: 'a', routerAddr: 'r' },
      gateway: CLIENT,
    });
    const sets = await client.system.pushAppAuthorize({ outerInstanceId: 'OI-9' });
    expect(sets?.map((s) => s.accountId)).toEqual(['A0', 'A1']);
    const unsigned = createQzzClient({
      baseUrl: gatewayUrl,
      credentials: { accessToken: 't', groupName: 'g', accountId: 'a', routerAddr: 'r' },
    });
    await expect(unsigned.system.pushAppAuthorize({ outerInstanceId: 'OI-9' })).rejects.toThrow(
      /pass `gateway: \{ clientId, clientSecret \}`/,
    );
  });
});
