// A stand-in tenant the repository owns: a loopback server in front of @qzz/mock (which answers every action as
// the spec documents it), where a test overrides the answer of a route or of the Kingdee flow's calls. It records
// every request that reached it: which route, which action the mock picked, with which body and credentials.
import { createServer } from 'node:http';
import { startMock } from '@qzz/mock';

/**
 * @typedef {{ method: string, path: string, query: URLSearchParams, headers: import('node:http').IncomingHttpHeaders,
 *   text: string, body: any, action?: string }} Received
 * @typedef {(request: Received, res: import('node:http').ServerResponse, count: number) => boolean | void} Override
 *   Answers the request itself and returns true, or returns false to let the mock answer. `count` is how many
 *   requests to its route came before this one.
 */

/** The Kingdee flow's two calls, answered as gateway.md describes them. */
export const AUTH_PATHS = {
  authorize: '/jdyconnector/app_management/push_app_authorize',
  token: '/jdyconnector/app_management/kingdee_auth_token',
};

/** Writes a JSON answer. */
export function json(res, status, value, headers = {}) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  res
    .writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
    .end(text);
}

/**
 * Starts the stand-in. `overrides` maps a path to how it answers; the Kingdee flow's calls hand out `token`.
 * @param {{ overrides?: Record<string, Override>, token?: () => string, appSecret?: string,
 *   accountSet?: { groupName: string, accountId: string } }} [options]
 */
export async function startTenant({
  overrides = {},
  token = () => 'tenant-token',
  appSecret = 'rotating-app-secret',
  accountSet = { groupName: 'grp-1', accountId: 'acct-1' },
} = {}) {
  const mock = await startMock({ port: 0 });
  /** @type {Received[]} */
  const received = [];
  /** @type {Map<string, number>} */
  const counts = new Map();
  const overrideAll = {
    [AUTH_PATHS.authorize]: (_request, res) =>
      json(res, 200, {
        errcode: 0,
        description: '成功',
        data: [{ appKey: 'tenant-app', appSecret, domain: 'https://tf.jdy.com', ...accountSet, status: 1 }],
      }),
    [AUTH_PATHS.token]: (_request, res) =>
      json(res, 200, { errcode: 0, description: '成功', data: { access_token: token(), expires: Date.now() + 3_600_000 } }),
    ...overrides,
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://standin');
      const text = Buffer.concat(chunks).toString('utf8');
      let body;
      try {
        body = JSON.parse(text);
        if (typeof body === 'string') body = JSON.parse(body);
      } catch {
        body = undefined;
      }
      /** @type {Received} */
      const request = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, text, body };
      received.push(request);
      const count = counts.get(url.pathname) ?? 0;
      counts.set(url.pathname, count + 1);
      const override = overrideAll[url.pathname];
      if (override && override(request, res, count) !== false) return;
      /** @type {[string, string][]} */
      const pass = ['content-type', 'groupname', 'accountid', 'x-gw-router-addr'].flatMap((name) => {
        const value = req.headers[name];
        return typeof value === 'string' ? [/** @type {[string, string]} */ ([name, value])] : [];
      });
      const answer = await fetch(`${mock.url}${req.url}`, { method: req.method, headers: pass, body: text || undefined });
      request.action = answer.headers.get('x-qzz-action') ?? undefined;
      const out = Buffer.from(await answer.arrayBuffer());
      res
        .writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
          'content-length': out.length,
        })
        .end(out);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  /** @type {Promise<void> | undefined} */
  let closing;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Requests to business routes (not the Kingdee flow's). */
    business: () => received.filter((r) => !r.path.startsWith('/jdyconnector/')),
    close() {
      closing ??= (async () => {
        await new Promise((resolve) => {
          server.close(() => resolve(undefined));
          server.closeAllConnections();
        });
        await mock.close();
      })();
      return closing;
    },
  };
}

/** An account set's four values, as the environment gives them. */
export const TOKEN_ENV = {
  QZZ_ACCESS_TOKEN: 'env-token-0123',
  QZZ_GROUP_NAME: 'tenant-group',
  QZZ_ACCOUNT_ID: 'tenant-acct',
  QZZ_ROUTER_ADDR: 'https://tf.jdy.com',
};
/** The Kingdee flow's three values. */
export const KINGDEE_ENV = { QZZ_CLIENT_ID: 'client-id-42', QZZ_CLIENT_SECRET: 'client-secret-4242', QZZ_OUTER_INSTANCE_ID: 'instance-7' };

/** A check's options for tests: ten calls a second, and waits asked of a `sleep` that returns at once. */
export const FAST = { rate: 10, sleep: async () => {} };

/**
 * `tenant(options)`: starts a stand-in that is closed after the test (closing one twice is harmless).
 * @param {(fn: () => Promise<void>) => void} afterEach
 */
export function tenantsClosedAfterEach(afterEach) {
  /** @type {{ close: () => Promise<void> }[]} */
  let open = [];
  afterEach(async () => {
    await Promise.all(open.map((t) => t.close()));
    open = [];
  });
  return async (/** @type {Parameters<typeof startTenant>[0]} */ options = undefined) => {
    const t = await startTenant(options);
    open.push(t);
    return t;
  };
}
