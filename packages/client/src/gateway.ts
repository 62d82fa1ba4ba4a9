// Calls to the Kingdee gateway's own endpoints (module 系统功能): signed with X-Api-* headers, answered in the
// gateway's `{errcode, description, data}` envelope.
import type { AttemptRecord, SignedAction, SignedQuery, SpecClient, TextAnswer } from './action.js';
import { answerSucceeded } from './envelope.js';
import { QzzError, QzzGatewayError, QzzNetworkError, redact, redactDeep, safely, wasNotSent } from './errors.js';
import { answerText, isObject, parseJson } from './json.js';
import { signedHeaders } from './signing.js';

export interface GatewayApp {
  /** The app's client id on Kingdee's open platform. */
  clientId: string;
  /** The app's client secret: signs the calls, never sent. */
  clientSecret: string;
}

export interface GatewayCallOptions {
  /** `module.action`, for messages. */
  label: string;
  /** Values to keep out of every message, besides the client secret. */
  secrets: readonly string[];
  signal?: AbortSignal | undefined;
  /** Where the answer is recorded, for the client's log and `withResponse()`. */
  record?: AttemptRecord;
}

/** Signs and sends one call of the gateway itself (a signed action of the table); resolves to the envelope's `data`. */
export async function callGateway<Query extends SignedQuery>(
  client: SpecClient,
  app: GatewayApp,
  action: SignedAction<Query>,
  query: Query,
  { label, secrets: others, signal, record }: GatewayCallOptions,
): Promise<unknown> {
  const secrets = [app.clientSecret, ...others];
  const headers = await signedHeaders(app, action.method, action.path, query);
  let result: TextAnswer;
  try {
    result = await action.send(client, query, { headers, signal });
  } catch (error) {
    throw networkError(label, error, secrets);
  }
  if (record) record.response = result.response;
  const text = answerText(result);
  const answer = parseJson(text);
  if (answerSucceeded('gateway', result.response.status, answer)) return answer?.data;
  const { body, description } = readFailure(text, answer, secrets);
  throw new QzzGatewayError(label, result.response.status, typeof body?.errcode === 'number' ? body.errcode : undefined, description);
}

/** How much of an answer's text an error quotes when the answer says nothing more specific. */
const QUOTED_CHARS = 200;

/**
 * A failed answer as an error quotes it, with every secret redacted before anything is cut: its JSON object
 * (`answer`, redacted) and a description: the gateway's description, a problem's offending fields (the mock's
 * 422 lists them in `validation`), its detail, or the start of the text.
 */
export function readFailure(
  text: string,
  answer: Record<string, unknown> | undefined,
  secrets: readonly string[],
): { body: Record<string, unknown> | undefined; description: string | undefined } {
  const redacted = answer && redactDeep(answer, secrets);
  const body = isObject(redacted) ? redacted : undefined;
  const violations = Array.isArray(body?.validation) ? body.validation.map(violation).filter((v): v is string => v !== undefined) : [];
  if (violations.length)
    return { body, description: `${typeof body?.title === 'string' ? body.title : 'Invalid request'}: ${violations.join('; ')}` };
  const said = [body?.description, body?.detail, body?.title, body?.message].find((v): v is string => typeof v === 'string' && v !== '');
  if (said) return { body, description: said };
  // Only the start of the text is quoted: it is redacted with room for any form of a secret across the cut
  // (an encoded character takes up to 12), then cut, so a long answer costs no more than a short one.
  const room = QUOTED_CHARS + 12 * Math.max(0, ...secrets.map((s) => s.length));
  const safeText = redact(text.trimStart().slice(0, room), secrets).trim();
  return { body, description: safeText ? safeText.slice(0, QUOTED_CHARS) : undefined };
}

/** One entry of a problem's `validation` list as text: Prism's message, else the field's location and rule. */
function violation(entry: unknown): string | undefined {
  if (!isObject(entry)) return undefined;
  const { message, location, code } = entry;
  if (typeof message === 'string' && message) return message;
  return Array.isArray(location) ? `${location.join('.')}${typeof code === 'string' ? ` (${code})` : ''}` : undefined;
}

/**
 * A thrown failure as a QzzNetworkError (a QzzError from a credentials provider passes through). `sending`:
 * the failure came while sending the request or reading its answer, so the request may have reached the server
 * unless the transport marked it as never sent; otherwise (the credentials could not be had) nothing was sent.
 */
export function networkError(label: string, error: unknown, secrets: string[], { sending = true }: { sending?: boolean } = {}): QzzError {
  // Every read of the thrown value is guarded: a getter or `toString` that throws must not escape with what it says.
  const known = safely(() => (error instanceof QzzError ? error : undefined), undefined);
  if (known) return known;
  const outcome = sending && !wasNotSent(error) ? 'unknown' : 'not-sent';
  const name = safely(() => (typeof error === 'object' && error !== null && 'name' in error ? error.name : undefined), undefined);
  if (name === 'TimeoutError') return new QzzNetworkError(label, 'the call timed out', true, undefined, { outcome });
  if (name === 'AbortError') return new QzzNetworkError(label, 'the call was aborted', false, undefined, { aborted: true, outcome });
  const said = safely(
    () =>
      error instanceof Error
        ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`
        : error
          ? String(error)
          : '',
    'its error could not be read',
  );
  const message = redact(said.trim() || 'the request failed without saying why', secrets);
  // The original error may hold the URL it was sent to, token included: only its redacted message is kept.
  return new QzzNetworkError(label, message, false, new Error(message), { outcome });
}
