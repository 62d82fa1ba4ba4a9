// Where the four gateway values of a business call come from.

/** The values every business call carries: `access_token` in the query, the rest as headers. */
export interface QzzCredentials {
  /** `access_token`: a secret. */
  accessToken: string;
  /** `groupName` header. */
  groupName: string;
  /** `accountid` header (the account set's id). */
  accountId: string;
  /** `X-GW-Router-Addr` header (the account set's router address, e.g. `https://tf.jdy.com`). */
  routerAddr: string;
  /** When these stop being valid, in epoch milliseconds; absent for values that do not expire. */
  expiresAt?: number;
}

/**
 * Anything that hands out credentials. `invalidate(rejected)` drops a cached value the gateway rejected: only
 * when it is still the value `rejected` (so many calls refused at once cause one refresh); any cached value
 * when called without one.
 */
export interface CredentialsProvider {
  get(): Promise<QzzCredentials>;
  invalidate?(rejected?: QzzCredentials): void;
}

/** What `createQzzClient` accepts: fixed values, an async function, or a provider. */
export type CredentialsSource = QzzCredentials | (() => Promise<QzzCredentials>) | CredentialsProvider;

/** Fixed values (a token you got elsewhere). */
export function staticCredentials(credentials: QzzCredentials): CredentialsProvider {
  const value = Object.freeze({ ...credentials });
  return { get: async () => value };
}

/**
 * Calls `load` when needed and keeps its result until `expiresAt` (less `refreshMarginMs`), or until
 * `invalidate()`. Concurrent callers share one load.
 */
export function cachedCredentials(
  load: () => Promise<QzzCredentials>,
  { refreshMarginMs = 60_000, now = Date.now }: { refreshMarginMs?: number; now?: () => number } = {},
): CredentialsProvider {
  let cached: QzzCredentials | undefined;
  let pending: Promise<QzzCredentials> | undefined;
  const fresh = (c: QzzCredentials) => c.expiresAt === undefined || c.expiresAt - refreshMarginMs > now();
  return {
    async get() {
      if (cached && fresh(cached)) return cached;
      pending ??= load().then(
        (value) => {
          cached = value;
          pending = undefined;
          return value;
        },
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
      return pending;
    },
    invalidate(rejected?: QzzCredentials) {
      if (rejected === undefined || rejected === cached) cached = undefined;
    },
  };
}

const isProvider = (source: QzzCredentials | CredentialsProvider): source is CredentialsProvider =>
  'get' in source && typeof source.get === 'function';

/** The provider behind any CredentialsSource. */
export function toProvider(source: CredentialsSource): CredentialsProvider {
  if (typeof source === 'function') return cachedCredentials(source);
  return isProvider(source) ? source : staticCredentials(source);
}
