// One verdict per action, from what its call gave and what the proxy's checker found in its exchange:
// `matches`, `drift` (the checker's pointers, types and shapes: never a value), `refused` (the business failure's
// errorCode, or the gateway's status and errcode), or `not-run` (why).
import { QzzBusinessError, QzzGatewayError, QzzNetworkError, SECRET_ROTATED, safeCode } from '@qzz/client';

/**
 * @typedef {'matches' | 'drift' | 'refused' | 'not-run'} Verdict
 * @typedef {{ time: string, route: string, action: string, verdict: Verdict, source: 'upstream' | 'har', reason?: string,
 *   errorCode?: string, status?: number, errcode?: number }} VerdictLine
 *   The line the report gets per action (other tools read it: keep its shape).
 * @typedef {import('@qzz/proxy/checks').ExchangeLine} ExchangeLine
 */

/** How many of an action's discrepancies its verdict's reason names; the report has them all. */
const NAMED_DISCREPANCIES = 5;

/**
 * The discrepancies of an action's exchange in a sentence: where and what, as the checker describes them.
 * @param {ExchangeLine[]} lines
 */
export function driftReason(lines) {
  const named = lines
    .slice(0, NAMED_DISCREPANCIES)
    .map(
      (line) =>
        `${line.direction}${line.status ? ` ${line.status}` : ''} ${line.pointer || '/'} ${line.kind} (spec ${line.spec}; seen ${line.seen})`,
    );
  const more = lines.length > NAMED_DISCREPANCIES ? `; and ${lines.length - NAMED_DISCREPANCIES} more in the report` : '';
  return `${lines.length} ${lines.length === 1 ? 'discrepancy' : 'discrepancies'}: ${named.join('; ')}${more}`;
}

/** True when the gateway refused the credentials themselves (after the client's one refresh, where it can refresh). */
export const credentialsRefused = (/** @type {unknown} */ error) =>
  error instanceof QzzGatewayError && (error.status === 401 || error.status === 403 || error.errcode === SECRET_ROTATED);

/**
 * Why a call got no answer the check can judge, without quoting the error (its message may carry what a server sent).
 * @param {unknown} error
 */
export function noAnswer(error) {
  if (error instanceof QzzNetworkError) {
    if (error.timedOut) return 'no answer within the timeout';
    const code = /** @type {any} */ (error).cause?.code;
    return `no answer (${typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'the connection failed or the answer could not be read'})`;
  }
  return `the call failed (${error instanceof Error ? error.name : typeof error})`;
}

/**
 * True for an answer that refuses the call: a business failure (`success: false`), or the gateway's failure (a
 * non-2xx status, or its `errcode`). A 2xx answer that is neither the envelope nor the gateway's is no refusal:
 * it is drift.
 * @param {unknown} error
 */
const isRefusal = (error) =>
  error instanceof QzzBusinessError ||
  (error instanceof QzzGatewayError && (error.status < 200 || error.status > 299 || error.errcode !== undefined));

/**
 * The verdict of an action's last attempt. A refusal is `refused` even where its body differs from the spec (the
 * reason says so; the report has the lines): the tenant said no, which is what the run must say.
 * @param {{ lines: ExchangeLine[], error?: unknown }} attempt the checker's lines of the action's exchange, and the
 *   call's error (none: it succeeded)
 * @returns {Pick<VerdictLine, 'verdict' | 'reason' | 'errorCode' | 'status' | 'errcode'>}
 */
export function judge({ lines, error }) {
  const drift = lines.filter((line) => line.kind !== 'not-validated');
  if (error instanceof QzzBusinessError || (error instanceof QzzGatewayError && isRefusal(error))) {
    const refusal =
      error instanceof QzzBusinessError
        ? { errorCode: safeCode(error.errorCode) }
        : { status: error.status, ...(error.errcode === undefined ? {} : { errcode: error.errcode }) };
    const what = error instanceof QzzBusinessError ? 'a business failure (success: false)' : 'refused by the gateway';
    const differs = drift.length ? `; its answer differs from the spec too: ${driftReason(drift)}` : '';
    return { verdict: 'refused', reason: `${what}${differs}`, ...refusal };
  }
  if (drift.length) return { verdict: 'drift', reason: driftReason(drift) };
  const unchecked = lines.find((line) => line.kind === 'not-validated');
  if (unchecked) return { verdict: 'not-run', reason: `its answer could not be checked: ${unchecked.seen}` };
  if (error instanceof QzzGatewayError)
    return { verdict: 'drift', reason: "the answer is neither the vendor's envelope nor the gateway's" };
  if (error !== undefined) return { verdict: 'not-run', reason: noAnswer(error) };
  return { verdict: 'matches' };
}

/**
 * A verdict line of the report.
 * @param {{ name: string, method: string, wirePath: string }} action
 * @param {ReturnType<typeof judge>} judged
 * @param {VerdictLine['source']} source where the exchanges came from: a tenant called, or a recording read
 * @returns {VerdictLine}
 */
export const verdictLine = (action, { verdict, reason, ...refusal }, source) => ({
  time: new Date().toISOString(),
  route: `${action.method.toUpperCase()} ${action.wirePath}`,
  action: action.name,
  verdict,
  source,
  ...(reason === undefined ? {} : { reason }),
  ...refusal,
});

/**
 * A verdict as the progress on the terminal says it: `[3/19] getInspection: refused — errorCode …`.
 * @param {number} index
 * @param {number} total
 * @param {VerdictLine} line
 */
export function progressLine(index, total, line) {
  const detail = [line.errorCode, line.status, line.errcode, line.reason].filter((part) => part !== undefined).join(' ');
  return `[${index}/${total}] ${line.action}: ${line.verdict}${detail ? ` — ${detail}` : ''}`;
}
