// Where a check's credentials come from: the environment only (the variables the docs' samples read), never the
// command line. Every value read, and every token the Kingdee flow hands out, is remembered as a secret, so no
// output of the check holds one.
import { kingdeeCredentials } from '@qzz/client';

/** The account set's four values, as the docs' curl samples read them. */
export const TOKEN_VARIABLES = /** @type {const} */ (['QZZ_ACCESS_TOKEN', 'QZZ_GROUP_NAME', 'QZZ_ACCOUNT_ID', 'QZZ_ROUTER_ADDR']);
/** The app's values for Kingdee's OpenAPI 2.0 flow (`QZZ_ACCOUNT_ID` picks an account set when several are authorised). */
export const KINGDEE_VARIABLES = /** @type {const} */ (['QZZ_CLIENT_ID', 'QZZ_CLIENT_SECRET', 'QZZ_OUTER_INSTANCE_ID']);

/**
 * @typedef {{ flow: 'token' | 'kingdee', provider: import('@qzz/client').CredentialsProvider, secrets: Set<string> }} CheckCredentials
 *   The provider the client takes, which flow it is, and every value the check must never write (it grows as the
 *   Kingdee flow hands out tokens).
 */

/**
 * The credentials the environment holds: the Kingdee flow when its three variables are set, else the four values
 * of an account set. Throws an Error naming the variables that are missing (names only, never a value).
 * @param {Record<string, string | undefined>} env
 * @param {{ upstream: string, fetch: typeof globalThis.fetch }} gateway where the Kingdee flow asks, through which fetch
 * @returns {CheckCredentials}
 */
export function credentialsFromEnv(env, { upstream, fetch }) {
  const secrets = new Set();
  const read = (/** @type {string} */ name) => {
    const value = env[name];
    if (value) secrets.add(value);
    return value;
  };
  const all = [...TOKEN_VARIABLES, ...KINGDEE_VARIABLES].map((name) => [name, read(name)]);
  const values = Object.fromEntries(all);
  /** @type {import('@qzz/client').CredentialsProvider} */
  let inner;
  /** @type {'token' | 'kingdee'} */
  let flow;
  if (KINGDEE_VARIABLES.some((name) => values[name])) {
    const missing = KINGDEE_VARIABLES.filter((name) => !values[name]);
    if (missing.length) throw new Error(`The Kingdee flow needs ${missing.join(', ')} in the environment too.`);
    flow = 'kingdee';
    inner = kingdeeCredentials({
      clientId: values.QZZ_CLIENT_ID,
      clientSecret: values.QZZ_CLIENT_SECRET,
      outerInstanceId: values.QZZ_OUTER_INSTANCE_ID,
      accountId: values.QZZ_ACCOUNT_ID || undefined,
      baseUrl: upstream,
      fetch,
    });
  } else {
    const missing = TOKEN_VARIABLES.filter((name) => !values[name]);
    if (missing.length)
      throw new Error(
        `No credentials in the environment: set ${TOKEN_VARIABLES.join(', ')} (an account set's values), or ${KINGDEE_VARIABLES.join(', ')} (the Kingdee flow). Missing: ${missing.join(', ')}.`,
      );
    flow = 'token';
    const fixed = Object.freeze({
      accessToken: values.QZZ_ACCESS_TOKEN,
      groupName: values.QZZ_GROUP_NAME,
      accountId: values.QZZ_ACCOUNT_ID,
      routerAddr: values.QZZ_ROUTER_ADDR,
    });
    inner = { get: async () => fixed };
  }
  return { flow, secrets, provider: remembering(inner, secrets) };
}

/**
 * The provider, with every value it hands out added to `secrets` (a token the Kingdee flow got, the account set's
 * group name and id: they name the tenant).
 * @param {import('@qzz/client').CredentialsProvider} provider
 * @param {Set<string>} secrets
 * @returns {import('@qzz/client').CredentialsProvider}
 */
function remembering(provider, secrets) {
  return {
    async get() {
      const value = await provider.get();
      for (const part of [value.accessToken, value.groupName, value.accountId]) if (part) secrets.add(part);
      return value;
    },
    ...(provider.invalidate ? { invalidate: (rejected) => provider.invalidate?.(rejected) } : {}),
  };
}
