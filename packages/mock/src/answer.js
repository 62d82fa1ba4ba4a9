// What the mock answers, whatever carries it (a socket, an in-process fetch, MSW): status, headers and body.

/**
 * The mock's answer: what a transport sends. `headers` with lower-case names, `content-type` and
 * `content-length` among them. A fault (src/faults) may ask the transport to send it `delayMs` late, or to
 * `cut` it: never send it (`stall`, until the caller gives up) or break it off half-way (`reset`).
 * @typedef {{ status: number, headers: Record<string, string>, body: string, delayMs?: number, cut?: 'stall' | 'reset' }} MockAnswer
 */

/**
 * A JSON answer.
 * @param {number} status
 * @param {unknown} body a value, or JSON text already made
 * @param {Record<string, string>} [headers]
 * @returns {MockAnswer}
 */
export function jsonAnswer(status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    status,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers },
    body: text,
  };
}
