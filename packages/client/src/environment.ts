// The client's options from environment variables: the names the docs' samples use, read in one place so every
// tool that calls a tenant (the check, the MCP server) takes credentials the same way, and never from a command
// line (where `ps` and shell history would show them).
import { DEFAULT_BASE_URL, type QzzClientOptions } from './client.js';
import { staticCredentials } from './credentials.js';
import { QzzError } from './errors.js';
import { kingdeeCredentials } from './kingdee.js';

/** The four values of a business call, given as they are (a token obtained elsewhere). */
export const TOKEN_VARIABLES = ['QZZ_ACCESS_TOKEN', 'QZZ_GROUP_NAME', 'QZZ_ACCOUNT_ID', 'QZZ_ROUTER_ADDR'] as const;
/** The app's values for the Kingdee OpenAPI 2.0 flow (`QZZ_ACCOUNT_ID`, when set, picks the account set). */
export const KINGDEE_VARIABLES = ['QZZ_CLIENT_ID', 'QZZ_CLIENT_SECRET', 'QZZ_OUTER_INSTANCE_ID'] as const;
/** Where calls go (default: the gateway). */
export const BASE_URL_VARIABLE = 'QZZ_BASE_URL';

/** The variables whose values are secrets: never printed, kept out of every message and every answer. */
export const SECRET_VARIABLES = ['QZZ_ACCESS_TOKEN', 'QZZ_CLIENT_SECRET'] as const;
/**
 * The variables whose values name the tenant (its group and account set, their router) or its app (the client and
 * instance ids): no secrets, but whoever reads them knows whose data a file is about.
 */
export const TENANT_VARIABLES = ['QZZ_GROUP_NAME', 'QZZ_ACCOUNT_ID', 'QZZ_ROUTER_ADDR', 'QZZ_CLIENT_ID', 'QZZ_OUTER_INSTANCE_ID'] as const;
/**
 * The variables whose values are kept out of every output written to be shared (a report, JUnit, SARIF, a captured
 * record, a CI log): the secrets and what names the tenant. A tool that answers the tenant's own user (the MCP
 * server, to an assistant reading the tenant's data) keeps only the secrets out: the tenant's identifiers are in
 * the data it was asked for, and taking them out would change that data, not hide it.
 */
export const PRIVATE_VARIABLES = [...SECRET_VARIABLES, ...TENANT_VARIABLES] as const;

type Environment = Readonly<Record<string, string | undefined>>;

const isSet = (env: Environment, name: string) => (env[name] ?? '') !== '';
const missing = (env: Environment, names: readonly string[]) => names.filter((name) => !isSet(env, name));

/** The values `env` sets (not empty) for `names`: what a tool keeps out of its outputs. */
export const variableValues = (env: Environment, names: readonly string[]): string[] =>
  names.flatMap((name) => (isSet(env, name) ? [String(env[name])] : []));

/**
 * `baseUrl`, `credentials` (and `gateway`, for the Kingdee flow) from `env`: the four values as they are when
 * `QZZ_ACCESS_TOKEN` is set, else the Kingdee flow when `QZZ_CLIENT_ID` is. Throws a `QzzError` that names the
 * missing or malformed variables, never a value. `options` are for a tool that says where calls go itself (the
 * check's `--upstream`): `baseUrl` stands for `QZZ_BASE_URL`, and `fetch` is the one the Kingdee flow's calls use.
 */
export function clientOptionsFromEnv(
  env: Environment,
  options: { baseUrl?: string; fetch?: typeof globalThis.fetch } = {},
): Pick<QzzClientOptions, 'baseUrl' | 'credentials' | 'gateway'> {
  const baseUrl = options.baseUrl ?? readBaseUrl(env);
  if (isSet(env, 'QZZ_ACCESS_TOKEN')) {
    const absent = missing(env, TOKEN_VARIABLES);
    if (absent.length)
      throw new QzzError(`QZZ_ACCESS_TOKEN is set but ${absent.join(', ')} ${absent.length > 1 ? 'are' : 'is'} not.`, 'environment');
    return {
      baseUrl,
      credentials: staticCredentials({
        accessToken: String(env.QZZ_ACCESS_TOKEN),
        groupName: String(env.QZZ_GROUP_NAME),
        accountId: String(env.QZZ_ACCOUNT_ID),
        routerAddr: String(env.QZZ_ROUTER_ADDR),
      }),
    };
  }
  if (isSet(env, 'QZZ_CLIENT_ID')) {
    const absent = missing(env, KINGDEE_VARIABLES);
    if (absent.length)
      throw new QzzError(`QZZ_CLIENT_ID is set but ${absent.join(', ')} ${absent.length > 1 ? 'are' : 'is'} not.`, 'environment');
    const app = { clientId: String(env.QZZ_CLIENT_ID), clientSecret: String(env.QZZ_CLIENT_SECRET) };
    const accountId = isSet(env, 'QZZ_ACCOUNT_ID') ? env.QZZ_ACCOUNT_ID : undefined;
    return {
      baseUrl,
      gateway: app,
      credentials: kingdeeCredentials({
        ...app,
        outerInstanceId: String(env.QZZ_OUTER_INSTANCE_ID),
        accountId,
        baseUrl,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    };
  }
  throw new QzzError(
    `No credentials in the environment: set ${TOKEN_VARIABLES.join(', ')} (a token you have), or ${KINGDEE_VARIABLES.join(', ')} (the Kingdee flow).`,
    'environment',
  );
}

/** `QZZ_BASE_URL` when set (an http(s) URL without credentials, query or fragment), else the gateway. */
function readBaseUrl(env: Environment): string {
  if (!isSet(env, BASE_URL_VARIABLE)) return DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(String(env[BASE_URL_VARIABLE]));
  } catch {
    throw new QzzError(`${BASE_URL_VARIABLE} is not a URL.`, 'environment');
  }
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash)
    throw new QzzError(`${BASE_URL_VARIABLE} must be an http(s) URL without credentials, query or fragment.`, 'environment');
  return url.href.replace(/\/$/, '');
}
