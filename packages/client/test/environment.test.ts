// The client's options from QZZ_* variables: either set of credentials, and refusals that name variables only.
import { describe, expect, it } from 'vitest';
import {
  clientOptionsFromEnv,
  DEFAULT_BASE_URL,
  KINGDEE_VARIABLES,
  PRIVATE_VARIABLES,
  QzzError,
  SECRET_VARIABLES,
  TENANT_VARIABLES,
  TOKEN_VARIABLES,
  variableValues,
} from '../src/index.js';

const TOKEN = { QZZ_ACCESS_TOKEN: 'tok/+?#%&=secret', QZZ_GROUP_NAME: 'g', QZZ_ACCOUNT_ID: 'a', QZZ_ROUTER_ADDR: 'https://tf.jdy.com' };
const KINGDEE = { QZZ_CLIENT_ID: 'cid', QZZ_CLIENT_SECRET: 'csecret/+?#', QZZ_OUTER_INSTANCE_ID: 'oi' };

/** The message `clientOptionsFromEnv(env)` throws (a QzzError), or fails the test. */
function refusal(env: Record<string, string>): string {
  try {
    clientOptionsFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(QzzError);
    return (error as Error).message;
  }
  throw new Error('no refusal');
}

describe('clientOptionsFromEnv', () => {
  it('takes a token as it is, and the gateway as the default base URL', async () => {
    const options = clientOptionsFromEnv(TOKEN);
    expect(options.baseUrl).toBe(DEFAULT_BASE_URL);
    expect(options.gateway).toBeUndefined();
    const credentials = options.credentials as { get(): Promise<unknown> };
    expect(await credentials.get()).toEqual({
      accessToken: TOKEN.QZZ_ACCESS_TOKEN,
      groupName: 'g',
      accountId: 'a',
      routerAddr: 'https://tf.jdy.com',
    });
  });

  it('takes the Kingdee flow when no token is set, with its app for the signed calls', () => {
    const options = clientOptionsFromEnv({ ...KINGDEE, QZZ_BASE_URL: 'http://127.0.0.1:4010/' });
    expect(options.baseUrl).toBe('http://127.0.0.1:4010');
    expect(options.gateway).toEqual({ clientId: 'cid', clientSecret: KINGDEE.QZZ_CLIENT_SECRET });
    expect(typeof (options.credentials as { get?: unknown }).get).toBe('function');
  });

  it("takes the caller's base URL over QZZ_BASE_URL, and the Kingdee flow's calls go through the caller's fetch", async () => {
    const asked: string[] = [];
    const fetch = async (input: RequestInfo | URL) => {
      asked.push(new Request(input).url);
      return new Response(JSON.stringify({ errcode: 0, data: { access_token: 'got', expires_in: 7200 } }), {
        headers: { 'content-type': 'application/json' },
      });
    };
    const options = clientOptionsFromEnv({ ...KINGDEE, QZZ_BASE_URL: 'http://127.0.0.1:4010' }, { baseUrl: 'http://127.0.0.1:9', fetch });
    expect(options.baseUrl).toBe('http://127.0.0.1:9');
    await (options.credentials as { get(): Promise<unknown> }).get().catch(() => {});
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((url) => url.startsWith('http://127.0.0.1:9/'))).toBe(true);
  });

  it('names what is missing or malformed, never a value', () => {
    const messages = [
      refusal({}),
      refusal({ QZZ_ACCESS_TOKEN: TOKEN.QZZ_ACCESS_TOKEN, QZZ_GROUP_NAME: 'g' }),
      refusal({ QZZ_CLIENT_ID: 'cid', QZZ_CLIENT_SECRET: KINGDEE.QZZ_CLIENT_SECRET }),
      refusal({ ...TOKEN, QZZ_BASE_URL: 'ftp://h' }),
      refusal({ ...TOKEN, QZZ_BASE_URL: 'https://h/?access_token=x' }),
      refusal({ ...TOKEN, QZZ_BASE_URL: 'not a url' }),
    ];
    expect(messages).toEqual([
      'No credentials in the environment: set QZZ_ACCESS_TOKEN, QZZ_GROUP_NAME, QZZ_ACCOUNT_ID, QZZ_ROUTER_ADDR (a token you have), or QZZ_CLIENT_ID, QZZ_CLIENT_SECRET, QZZ_OUTER_INSTANCE_ID (the Kingdee flow).',
      'QZZ_ACCESS_TOKEN is set but QZZ_ACCOUNT_ID, QZZ_ROUTER_ADDR are not.',
      'QZZ_CLIENT_ID is set but QZZ_OUTER_INSTANCE_ID is not.',
      'QZZ_BASE_URL must be an http(s) URL without credentials, query or fragment.',
      'QZZ_BASE_URL must be an http(s) URL without credentials, query or fragment.',
      'QZZ_BASE_URL is not a URL.',
    ]);
  });
});

describe('what is secret among the variables: one definition', () => {
  it('every credential variable is either a secret or names the tenant; the private ones are both lists', () => {
    const credentials = new Set<string>([...TOKEN_VARIABLES, ...KINGDEE_VARIABLES]);
    const secret = new Set<string>(SECRET_VARIABLES);
    const tenant = new Set<string>(TENANT_VARIABLES);
    expect([...secret].filter((name) => tenant.has(name))).toEqual([]);
    expect(new Set([...secret, ...tenant])).toEqual(credentials);
    expect(new Set<string>(PRIVATE_VARIABLES)).toEqual(credentials);
  });

  it('variableValues: the values the environment sets for the names, none for unset or empty ones', () => {
    expect(variableValues({ ...TOKEN, QZZ_CLIENT_SECRET: '' }, SECRET_VARIABLES)).toEqual([TOKEN.QZZ_ACCESS_TOKEN]);
    expect(variableValues({ ...TOKEN, ...KINGDEE }, PRIVATE_VARIABLES).toSorted()).toEqual(
      Object.values({ ...TOKEN, ...KINGDEE }).toSorted(),
    );
  });
});
