// The Kingdee OpenAPI 2.0 credentials provider: push_app_authorize → kingdee_auth_token, signed, cached.
import { cachedCredentials, type CredentialsProvider, type QzzCredentials } from './credentials.js';
import { QzzError, QzzGatewayError } from './errors.js';
import { callGateway, type GatewayApp } from './gateway.js';
import type { components } from './generated/schema.js';
import { appSignature } from './signing.js';
import { timedClient } from './transport.js';
import { DEFAULT_BASE_URL, SECRET_ROTATED } from './client.js';

type AccountSet = components['schemas']['AuthorizedAccountSet'];
type Token = components['schemas']['KingdeeAuthToken'];

export interface KingdeeCredentialsOptions extends GatewayApp {
  /** The outer instance id the app was installed with. */
  outerInstanceId: string;
  /** Which authorised account set to use; by default the first active one. */
  accountId?: string;
  /** The gateway (default https://api.kingdee.com). */
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
  /** Milliseconds before a gateway call is abandoned (default 30 000). */
  timeoutMs?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/** Tokens live 24 hours; they are used for at most 22, like other clients do. */
const TOKEN_LIFETIME_MS = 22 * 60 * 60 * 1000;

function pickAccountSet(sets: unknown, accountId: string | undefined): AccountSet {
  const list = (Array.isArray(sets) ? sets : []) as AccountSet[];
  const found = accountId ? list.find((s) => s.accountId === accountId) : (list.find((s) => s.status === 1) ?? list[0]);
  if (!found?.appKey || !found.appSecret || !found.groupName || !found.accountId || !found.domain) {
    throw new QzzError(
      accountId
        ? `push_app_authorize lists no complete account set with accountId ${accountId} (found ${list.length}).`
        : `push_app_authorize lists no complete, active account set (found ${list.length}).`,
      'system.pushAppAuthorize',
    );
  }
  return found;
}

/** The cache deadline: the token's `expires` when it reads as epoch milliseconds, and never past 22 hours. */
function expiry(token: Token, now: number): number {
  const cap = now + TOKEN_LIFETIME_MS;
  return typeof token.expires === 'number' && token.expires > now && token.expires < cap ? token.expires : cap;
}

/** Credentials from Kingdee's OpenAPI 2.0 flow, fetched when first needed and cached until they expire. */
export function kingdeeCredentials(options: KingdeeCredentialsOptions): CredentialsProvider {
  const { clientId, clientSecret, outerInstanceId, accountId, baseUrl = DEFAULT_BASE_URL, timeoutMs = 30_000, now = Date.now } = options;
  for (const [key, value] of Object.entries({ clientId, clientSecret, outerInstanceId })) {
    if (typeof value !== 'string' || !value) throw new TypeError(`kingdeeCredentials: \`${key}\` is required.`);
  }
  const raw = timedClient({ baseUrl, fetch: options.fetch, timeoutMs });
  const app = { clientId, clientSecret };

  async function load(): Promise<QzzCredentials> {
    for (let attempt = 0; ; attempt++) {
      const sets = await callGateway(raw, app, {
        label: 'system.pushAppAuthorize',
        method: 'post',
        path: '/jdyconnector/app_management/push_app_authorize',
        query: { outerInstanceId },
        secrets: [],
      });
      const set = pickAccountSet(sets, accountId);
      try {
        const signature = await appSignature(set.appKey!, set.appSecret!);
        const token = (await callGateway(raw, app, {
          label: 'system.getKingdeeAuthToken',
          method: 'get',
          path: '/jdyconnector/app_management/kingdee_auth_token',
          query: { app_key: set.appKey!, app_signature: signature },
          // The signature gets a token as surely as the secret does: neither is quoted in an error.
          secrets: [set.appSecret!, signature],
        })) as Token | undefined;
        if (!token?.access_token) throw new QzzError('kingdee_auth_token answered without an access_token.', 'system.getKingdeeAuthToken');
        return { accessToken: token.access_token, groupName: set.groupName!, accountId: set.accountId!, routerAddr: set.domain!, expiresAt: expiry(token, now()) };
      } catch (error) {
        // The app secret rotates every 24 hours: authorise again for the new one, once.
        if (attempt === 0 && error instanceof QzzGatewayError && error.errcode === SECRET_ROTATED) continue;
        throw error;
      }
    }
  }
  return cachedCredentials(load, { now });
}
