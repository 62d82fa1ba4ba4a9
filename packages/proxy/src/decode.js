// Decoding a kept body for checking only: the proxy forwards the bytes as they came. Decoding is bounded, so a
// decompression bomb stops at the limit instead of being expanded.
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

/** The codings a body may carry (RFC 9110 §8.4.1), each undone within `maxOutputLength` bytes. */
const DECODERS = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  // "deflate" is the zlib format; some servers send the raw deflate stream instead.
  deflate: (bytes, options) => {
    try {
      return inflateSync(bytes, options);
    } catch (error) {
      if (error.code === 'ERR_BUFFER_TOO_LARGE') throw error;
      return inflateRawSync(bytes, options);
    }
  },
  br: brotliDecompressSync,
};

/**
 * `bytes` with the codings of a Content-Encoding header undone (the last applied is undone first), or why it
 * cannot be checked: a coding the proxy does not know, data that does not decode, or more than `limit` bytes.
 * @param {Uint8Array} bytes
 * @param {string | undefined} contentEncoding
 * @param {number} limit
 * @returns {{ bytes: Uint8Array } | { unchecked: string, corrupt?: true }} `corrupt`: the bytes are not in that coding
 */
export function decodeBody(bytes, contentEncoding, limit) {
  const codings = String(contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity');
  let out = bytes;
  for (const coding of codings.reverse()) {
    // Own names only: `constructor` or `toString` is no coding, whatever the object's prototype holds.
    const decode = Object.hasOwn(DECODERS, coding) ? DECODERS[/** @type {keyof typeof DECODERS} */ (coding)] : undefined;
    if (!decode) return { unchecked: `a body encoded with ${printableCoding(coding)}, which the proxy does not decode` };
    try {
      out = decode(out, { maxOutputLength: limit });
    } catch (error) {
      if (error.code === 'ERR_BUFFER_TOO_LARGE') return { unchecked: `a ${coding} body that decodes to more than ${limit} bytes` };
      return { unchecked: `a ${coding} body that does not decode (${error.code ?? 'corrupt'})`, corrupt: true };
    }
  }
  return { bytes: out };
}

/** A coding's name for the report: a token, or its length when it is something else. */
const printableCoding = (coding) => (/^[a-z0-9._-]{1,20}$/.test(coding) ? coding : `a coding of ${coding.length} characters`);
