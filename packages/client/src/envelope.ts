// The two envelopes the API answers in, and when each is a success: one rule, for the client's own unwrapping and
// for tools that judge answers the client did not fetch (`check --har` reads them from a recording).
import { isObject } from './json.js';

/**
 * Which envelope an answer comes in: a business call's `{success, errorCode, message, data}`, or the Kingdee
 * gateway's own signed calls' `{errcode, description, data}`.
 */
export type Envelope = 'business' | 'gateway';

/**
 * True when an answer is a success in its envelope: a 2xx status and `success: true` (a business call), or
 * `errcode: 0` (the gateway's signed calls). Anything else is a failure `answerFailure` names.
 */
export function answerSucceeded(envelope: Envelope, status: number, answer: unknown): boolean {
  if (!(status >= 200 && status <= 299) || !isObject(answer)) return false;
  return envelope === 'gateway' ? answer.errcode === 0 : answer.success === true;
}
