// Kingdee OpenAPI 2.0 signatures, with the Web Crypto API so the same code runs in Node and in browsers.

const encoder = new TextEncoder();

async function hmacSha256Hex(key: string, message: string): Promise<string> {
  const cryptoKey = await globalThis.crypto.subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const digest = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(message)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Base64 of the lowercase hex text of the HMAC — not of the raw digest — as the gateway wants it. */
async function hexThenBase64(key: string, message: string): Promise<string> {
  return btoa(await hmacSha256Hex(key, message));
}

/** `app_signature` of `kingdee_auth_token`: Base64(hex(HMAC-SHA256(key = appSecret, message = appKey))). */
export function appSignature(appKey: string, appSecret: string): Promise<string> {
  return hexThenBase64(appSecret, appKey);
}

/** Percent-encoding as the gateway's signers do it: everything but letters, digits and `-_.~`. */
export function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The X-Api-Auth-Version 2.0 string to sign: five lines, each ending in `\n` — method, path (encoded, `/` as
 * `%2F`), query sorted by key with keys and values encoded twice (empty when none), nonce, timestamp. A key
 * whose value is undefined is left out, as it is left out of the URL.
 */
export function stringToSign(
  method: string,
  path: string,
  query: Record<string, string | undefined>,
  nonce: string,
  timestamp: string,
): string {
  const twice = (s: string) => percentEncode(percentEncode(s));
  const sortedQuery = Object.entries(query)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${twice(key)}=${twice(value)}`)
    .join('&');
  return `${method.toUpperCase()}\n${percentEncode(path)}\n${sortedQuery}\nx-api-nonce:${nonce}\nx-api-timestamp:${timestamp}\n`;
}

/** The X-Api-* headers of one signed gateway call. */
export type SignedHeaders = {
  'X-Api-ClientID': string;
  'X-Api-Auth-Version': '2.0';
  'X-Api-TimeStamp': string;
  'X-Api-Nonce': string;
  'X-Api-SignHeaders': 'X-Api-TimeStamp,X-Api-Nonce';
  'X-Api-Signature': string;
};

/** The X-Api-* headers of one signed gateway call. */
export async function signedHeaders(
  { clientId, clientSecret }: { clientId: string; clientSecret: string },
  method: string,
  path: string,
  query: Record<string, string | undefined>,
  { now = Date.now(), nonce = String(1 + Math.floor(Math.random() * 2_147_483_646)) }: { now?: number; nonce?: string } = {},
): Promise<SignedHeaders> {
  const timestamp = String(now);
  return {
    'X-Api-ClientID': clientId,
    'X-Api-Auth-Version': '2.0',
    'X-Api-TimeStamp': timestamp,
    'X-Api-Nonce': nonce,
    'X-Api-SignHeaders': 'X-Api-TimeStamp,X-Api-Nonce',
    'X-Api-Signature': await hexThenBase64(clientSecret, stringToSign(method, path, query, nonce, timestamp)),
  };
}
