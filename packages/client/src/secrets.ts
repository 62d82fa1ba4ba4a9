// The forms a secret travels in: one list, shared by the client (which keeps its errors clean of every form it
// sends a secret in) and @qzz/proxy (which keeps its report and captures clean of every form a server may echo
// one in). Exported as `@qzz/client/secrets`. Runs in Node and in browsers alike (no Buffer).
import { percentEncode } from './signing.js';

const utf8 = new TextEncoder();

/** A function of `secret` that may throw (`encodeURIComponent` refuses a lone surrogate): undefined then. */
function attempt(encode: (secret: string) => string, secret: string): string | undefined {
  try {
    return encode(secret);
  } catch {
    return undefined;
  }
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** JSON's escaping, as JSON.stringify writes it, with every non-ASCII character as `\uXXXX` (Python's default). */
const jsonEscaped = (text: string) => JSON.stringify(text).slice(1, -1);
const jsonAsciiEscaped = (text: string) =>
  jsonEscaped(text).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Every form of `secret` that a client, a server or a proxy may write it in:
 * - as it is, and in URLs: `encodeURIComponent`, that again as a URL parser writes a query (`'` as `%27`),
 *   `encodeURI`, the `URLSearchParams` form (`+` for a space), the gateway signers' percent-encoding
 *   (`!'()*` encoded too) and that twice (the string they sign);
 * - base64 of its UTF-8 bytes, standard and URL-safe, with and without padding; hex, lower and upper case;
 * - each of those JSON-escaped: as JSON.stringify writes it, with non-ASCII as `\uXXXX`, and with `/` as `\/`.
 * Empty for an empty secret; no form twice.
 */
export function secretForms(secret: string): string[] {
  if (secret === '') return [];
  const component = attempt(encodeURIComponent, secret);
  const bytes = utf8.encode(secret);
  const standard = base64(bytes);
  const urlSafe = standard.replace(/\+/g, '-').replace(/\//g, '_');
  const hexLower = hex(bytes);
  // Base64 has `=` only as padding at its end.
  const encoded = [
    secret,
    component,
    component === undefined ? undefined : new URL(`http://h/?${component}`).search.slice(1),
    attempt(encodeURI, secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    attempt(percentEncode, secret),
    attempt((s) => percentEncode(percentEncode(s)), secret),
    standard,
    standard.replace(/=/g, ''),
    urlSafe,
    urlSafe.replace(/=/g, ''),
    hexLower,
    hexLower.toUpperCase(),
  ].filter((form): form is string => form !== undefined && form !== '');
  const forms = new Set<string>();
  for (const form of encoded) {
    for (const escaped of [form, jsonEscaped(form), jsonAsciiEscaped(form)]) {
      forms.add(escaped);
      forms.add(escaped.replace(/\//g, '\\/'));
    }
  }
  return [...forms];
}
