// Where a check's credentials come from: the environment only, read by @qzz/client's `clientOptionsFromEnv` (the
// variables the docs' samples read, the same for every tool that calls a tenant), never the command line. The
// check adds what its outputs need: the value of every private variable (the client's PRIVATE_VARIABLES: the
// secrets, and the group name, account id and the rest that name the tenant, since its outputs are written to be
// shared), and every token the Kingdee flow hands out, is remembered as a secret, so no output of the check holds one.
import { clientOptionsFromEnv, PRIVATE_VARIABLES, variableValues } from '@qzz/client';

/**
 * The values of the private variables `env` sets: what the check never writes.
 * @param {Record<string, string | undefined>} env
 * @returns {string[]}
 */
export const environmentSecrets = (env) => variableValues(env, PRIVATE_VARIABLES);

/**
 * @typedef {{ flow: 'token' | 'kingdee', provider: import('@qzz/client').CredentialsProvider, secrets: Set<string> }} CheckCredentials
 *   The provider the client takes, which flow it is, and every value the check must never write (it grows as the
 *   Kingdee flow hands out tokens).
 */

/**
 * The credentials the environment holds, as the client reads them (a token's four values, else the Kingdee flow).
 * Throws the client's error naming the variables that are missing (names only, never a value).
 * @param {Record<string, string | undefined>} env
 * @param {{ upstream: string, fetch: typeof globalThis.fetch }} gateway where the Kingdee flow asks, through which fetch
 * @returns {CheckCredentials}
 */
export function credentialsFromEnv(env, { upstream, fetch }) {
  const secrets = new Set(environmentSecrets(env));
  const options = clientOptionsFromEnv(env, { baseUrl: upstream, fetch });
  const provider = /** @type {import('@qzz/client').CredentialsProvider} */ (options.credentials);
  return { flow: options.gateway ? 'kingdee' : 'token', secrets, provider: remembering(provider, secrets) };
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
