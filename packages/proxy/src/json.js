// JSON from outside: read with a bound on its nesting (MAX_JSON_DEPTH), as what reads a body walks it
// recursively; and the segments of JSON pointers into it (RFC 6901), which the checker writes and the masking reads.
import { MAX_JSON_DEPTH } from './limits.js';

/** A key as a JSON pointer's segment: `~` as `~0`, `/` as `~1`. @param {string} key */
export const escapePointer = (key) => (/[~/]/.test(key) ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key);

/** A JSON pointer's segment as the key it names. @param {string} segment */
export const unescapePointer = (segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

/** Whether `value` nests objects and arrays deeper than `limit`, found without recursion. */
function nestedDeeperThan(value, limit) {
  /** @type {[unknown, number][]} */
  const pending = [[value, 0]];
  while (pending.length) {
    const [node, depth] = /** @type {[unknown, number]} */ (pending.pop());
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * JSON text parsed: `{ value }`; `{ tooDeep: true }` when it nests deeper than MAX_JSON_DEPTH; undefined when it is
 * not JSON (JSON.parse's message is not kept: it quotes the text, which may be a secret).
 * @param {string} text
 * @returns {{ value: unknown, tooDeep?: undefined } | { tooDeep: true } | undefined}
 */
export function parseJson(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return nestedDeeperThan(value, MAX_JSON_DEPTH) ? { tooDeep: true } : { value };
}
