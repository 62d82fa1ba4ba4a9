// The Kingdee OpenAPI 2.0 credentials provider: push_app_authorize → kingdee_auth_token, signed, cached.

import { DEFAULT_BASE_URL, SECRET_ROTATED } from './client.js';
import { type CredentialsProvider, cachedCredentials, type QzzCredentials } from './credentials.js';
import { QzzError, QzzGatewayError } from './errors.js';
import { callGateway, type GatewayApp } from './gateway.js';
import { actionTable } from './generated/actions.js';
import type { components } from './generated/schema.js';
import { isObject } from './json.js';
import { appSignature } from './signing.js';
import { transport } from './transport.js';

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

type AccountSet = components['schemas']['AuthorizedAccountSet'];
/** An account set with every value a token request and the business calls need. */
type CompleteAccountSet = AccountSet & Required<Pick<AccountSet, 'appKey' | 'appSecret' | 'groupName' | 'accountId' | 'domain'>>;

/** Tokens live 24 hours; they are used for at most 22, like other clients do. */
const TOKEN_LIFETIME_MS = 22 * 60 * 60 * 1000;

const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

function isComplete(set: unknown): set is CompleteAccountSet {
  return (
    isObject(set) && isText(set.appKey) && isText(set.appSecret) && isText(set.groupName) && isText(set.accountId) && isText(set.domain)
  );
}

function pickAccountSet(sets: unknown, accountId: string | undefined): CompleteAccountSet {
  const list = (Array.isArray(sets) ? sets : []).filter(isObject);
  const found = accountId ? list.find((s) => s.accountId === accountId) : (list.find((s) => s.status === 1) ?? list[0]);
  if (!isComplete(found)) {
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
function expiry(expires: unknown, now: number): number {
  const cap = now + TOKEN_LIFETIME_MS;
  return typeof expires === 'number' && expires > now && expires < cap ? expires : cap;
}

/** Credentials from Kingdee's OpenAPI 2.0 flow, fetched when first needed and cached until they expire. */
export function kingdeeCredentials(options: KingdeeCredentialsOptions): CredentialsProvider {
  const { clientId, clientSecret, outerInstanceId, accountId, baseUrl = DEFAULT_BASE_URL, timeoutMs = 30_000, now = Date.now } = options;
  for (const [key, value] of Object.entries({ clientId, clientSecret, outerInstanceId })) {
    if (typeof value !== 'string' || !value) throw new TypeError(`kingdeeCredentials: \`${key}\` is required.`);
  }
  const client = transport({ baseUrl, fetch: options.fetch, timeoutMs }).client();
  const app = { clientId, clientSecret };
  const { pushAppAuthorize, getKingdeeAuthToken } = actionTable.system;

  async function load(): Promise<QzzCredentials> {
    for (let attempt = 0; ; attempt++) {
      const sets = await callGateway(client, app, pushAppAuthorize, { outerInstanceId }, { label: 'system.pushAppAuthorize', secrets: [] });
      const set = pickAccountSet(sets, accountId);
      try {
        const signature = await appSignature(set.appKey, set.appSecret);
        const token = await callGateway(
          client,
          app,
          getKingdeeAuthToken,
          { app_key: set.appKey, app_signature: signature },
          {
            label: 'system.getKingdeeAuthToken',
            // The signature gets a token as surely as the secret does: neither is quoted in an error.
            secrets: [set.appSecret, signature],
          },
        );
        if (!isObject(token) || !isText(token.access_token))
          throw new QzzError('kingdee_auth_token answered without an access_token.', 'system.getKingdeeAuthToken');
        return {
          accessToken: token.access_token,
          groupName: set.groupName,
          accountId: set.accountId,
          routerAddr: set.domain,
          expiresAt: expiry(token.expires, now()),
        };
      } catch (error) {
        // The app secret rotates every 24 hours: authorise again for the new one, once.
        if (attempt === 0 && error instanceof QzzGatewayError && error.errcode === SECRET_ROTATED) continue;
        throw error;
      }
    }
  }
  return cachedCredentials(load, { now });
}
