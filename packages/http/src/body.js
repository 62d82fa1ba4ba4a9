// Bodies as fetch hands them over: the in-process mock reads a caller's request body, the check a tenant's answer,
// each no further than its limit; and the statuses a fetch Response may not carry a body with.

/** Statuses whose answer has no body (a Response with one cannot be made). */
export const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A stream's bytes, read no further than one chunk past `limit` bytes: `oversized` then, with no bytes, and the
 * rest of the stream cancelled.
 * @param {ReadableStream<Uint8Array> | null} stream
 * @param {number} limit
 * @returns {Promise<{ bytes: Uint8Array<ArrayBuffer>, oversized: boolean }>}
 */
export async function readLimited(stream, limit) {
  if (!stream) return { bytes: new Uint8Array(0), oversized: false };
  /** @type {Uint8Array[]} */
  const chunks = [];
  let size = 0;
  const reader = stream.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return { bytes: new Uint8Array(0), oversized: true };
    }
    chunks.push(chunk.value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { bytes, oversized: false };
}
