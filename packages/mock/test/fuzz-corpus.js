// The mock's fuzz corpus: 2,000 seeded random requests, malformed and well-formed, as raw HTTP parts. The hardening
// test sends them as bytes on a socket; the differential test sends each as a fetch, to the HTTP mock and in-process.
import fc from 'fast-check';

/** The seed action's route, and a body it accepts. */
export const SEED = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
export const SEED_BODY = JSON.stringify({ operation: 'push', billdata: { id: '1634800180022794240' } });
/** The three credential headers, as raw header lines. */
export const CREDENTIALS = 'groupName: g\r\naccountid: a\r\nX-GW-Router-Addr: https://tf.jdy.com\r\n';

/**
 * The corpus: `{ method, target, headers: ["Name: value" lines], body }`, the body a string of bytes (latin1).
 * @returns {{ method: string, target: string, headers: string[], body: string }[]}
 */
export function fuzzCorpus() {
  const byte = fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b));
  const target = fc.oneof(
    fc.constantFrom(SEED, '/', '/%', '//', '/mxoc_pom/pomsaveandaudit', '*', 'http://x/y', '/a?b=%', '/?access_token=t'),
    fc
      .array(fc.oneof(byte, fc.constantFrom('%', '/', '?', '#', '[', ']', '%ff', '%C0%AF')), { maxLength: 30 })
      .map((parts) => `/${parts.join('')}`),
  );
  const header = fc.oneof(
    fc.constantFrom(
      'Content-Type: json',
      'Content-Type: application/json',
      'Content-Type: text/plain',
      'Content-Type: ;;;=',
      'Content-Length: -1',
      'Content-Length: abc',
      'Transfer-Encoding: gzip',
      'Prefer: code=500',
      'Prefer: example=x',
      'Expect: 100-continue',
      CREDENTIALS.trim(),
    ),
    fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })).map(([k, v]) => `${k}: ${v}`),
  );
  const request = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'BREW'),
    target,
    headers: fc.array(header, { maxLength: 4 }),
    body: fc.oneof(
      fc.constant(SEED_BODY),
      fc.string({ maxLength: 200 }),
      fc.array(byte, { maxLength: 200 }).map((b) => b.join('')),
    ),
  });
  return fc.sample(request, { numRuns: 2_000, seed: 20261129 });
}
