// No tool result, tool error, tool list or instruction carries a secret — the access token, the client secret,
// a token the Kingdee flow obtained — whole or as any 8-character fragment, in any form `secretForms` lists,
// whatever the tenant quotes back. The real CLI over stdio, against a stand-in gateway that echoes secrets.
import { createServer } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leak, stdioClient, textOf } from './helpers.js';

/** Every URL-special character, a space, and non-ASCII, beside plain ones: what a secret may hold. */
const SPECIAL = [...` !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`, 'é', '令', '😀'];
const secretArb = fc
  .array(fc.oneof(fc.constantFrom(...SPECIAL), fc.constantFrom(...'abcdefghijKLMNOPQR0123456789')), { minLength: 12, maxLength: 40 })
  .map((chars) => chars.join(''));

/** The token the stand-in's kingdee_auth_token hands out next. */
let issuedToken = '';
/** @type {import('node:http').Server} */
let gateway;
let gatewayUrl = '';

/** How the stand-in quotes a token back: as it is, encoded, cut, and in base64. */
const quotes = (/** @type {string} */ token) => ({
  token,
  encoded: encodeURIComponent(token),
  cut: token.slice(3),
  base64: Buffer.from(token).toString('base64'),
});

beforeAll(async () => {
  gateway = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const send = (/** @type {object} */ body, status = 200) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    req.resume();
    if (url.pathname === '/jdyconnector/app_management/push_app_authorize')
      return send({
        errcode: 0,
        data: [{ appKey: 'abc', appSecret: 'app-secret', domain: 'https://tf.jdy.com', accountId: 'A1', groupName: 'G1', status: 1 }],
      });
    if (url.pathname === '/jdyconnector/app_management/kingdee_auth_token')
      return send({ errcode: 0, data: { access_token: issuedToken, expires: Date.now() + 3_600_000 } });
    const token = url.searchParams.get('access_token') ?? '';
    // The inspection query succeeds quoting the token; the spare-parts query fails quoting it.
    if (url.pathname === '/mxoc_qm/inspect_query') return send({ success: true, reachPlugin: true, data: quotes(token) });
    if (url.pathname === '/mxoc_0001_mxoc_pq/backup_query')
      return send({ success: false, errorCode: 'E1', message: `token ${token} is not valid`, data: quotes(token) });
    send({ errcode: 40001, description: `bad token ${encodeURIComponent(token)}` }, 401);
  });
  await new Promise((resolve) => gateway.listen(0, '127.0.0.1', () => resolve(undefined)));
  gatewayUrl = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (gateway.address()).port}`;
});
afterAll(() => new Promise((resolve) => gateway.close(resolve)));

/** Everything the assistant is shown in one session: instructions, tools, and the three calls' results. */
async function everythingShown(/** @type {Record<string, string>} */ env) {
  const { client, close } = await stdioClient([], { ...env, QZZ_BASE_URL: gatewayUrl });
  try {
    const shown = [client.getInstructions() ?? '', JSON.stringify(await client.listTools())];
    for (const name of ['workshop_getInspection', 'projectManufacturing_getSparePartsUse', 'production_queryProductionInStock'])
      shown.push(JSON.stringify(await client.callTool({ name, arguments: { id: '1' } })));
    return shown;
  } finally {
    await close();
  }
}

describe('secrets never reach the assistant', () => {
  it('with a token from the environment', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, async (secret) => {
        const shown = await everythingShown({
          QZZ_ACCESS_TOKEN: secret,
          QZZ_GROUP_NAME: 'g',
          QZZ_ACCOUNT_ID: 'a',
          QZZ_ROUTER_ADDR: 'https://tf.jdy.com',
        });
        // The stand-in did answer with the token: the answer is there, cleaned.
        expect(shown[2]).toContain('[redacted]');
        for (const text of shown) expect(leak(text, secret)).toBeUndefined();
      }),
      { numRuns: 6 },
    );
  });

  it('with the Kingdee flow: the client secret and the token it obtained', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, async (clientSecret, token) => {
        issuedToken = token;
        const shown = await everythingShown({ QZZ_CLIENT_ID: 'cid', QZZ_CLIENT_SECRET: clientSecret, QZZ_OUTER_INSTANCE_ID: 'OI-9' });
        expect(shown[2]).toContain('[redacted]');
        for (const text of shown) {
          expect(leak(text, clientSecret)).toBeUndefined();
          expect(leak(text, token)).toBeUndefined();
        }
      }),
      { numRuns: 6 },
    );
  });

  it('a refused call is still a tool error that names the action', async () => {
    issuedToken = 'tok-EXAMPLE-0000';
    const { client, close } = await stdioClient([], {
      QZZ_CLIENT_ID: 'cid',
      QZZ_CLIENT_SECRET: 'x-secret-x',
      QZZ_OUTER_INSTANCE_ID: 'OI-9',
      QZZ_BASE_URL: gatewayUrl,
    });
    try {
      const result = await client.callTool({ name: 'projectManufacturing_getSparePartsUse', arguments: { id: '1' } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(
        /^projectManufacturing_getSparePartsUse \(projectManufacturing\.getSparePartsUse\) failed: QzzBusinessError \(errorCode E1\): /,
      );
      expect(textOf(result)).not.toContain('tok-EXAMPLE-0000');
    } finally {
      await close();
    }
  });
});
