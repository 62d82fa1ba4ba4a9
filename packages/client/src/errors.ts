// The client's failures, each a typed error. None of them carries a credential: messages and fields are
// built from what the server answered and the action's name and path, never from the request URL or headers.
import { secretForms } from './secrets.js';

/** Anything the client throws. */
export class QzzError extends Error {
  override name = 'QzzError';
  /** The vendor action (or `METHOD /path` for the raw client) the failure belongs to. */
  readonly action: string;
  constructor(message: string, action: string, options?: { cause?: unknown }) {
    super(message, options);
    this.action = action;
  }
  toJSON(): Record<string, unknown> {
    const fields = Object.entries(this).filter(([key]) => key !== 'stack' && key !== 'cause');
    return { ...Object.fromEntries(fields), name: this.name, message: this.message };
  }
}

/** HTTP 200 with `success: false`: the vendor refused the request (its "200 异常示例"). */
export class QzzBusinessError extends QzzError {
  override name = 'QzzBusinessError';
  /** The vendor's `errorCode`, when it sent one. */
  readonly errorCode: string | undefined;
  /** The vendor's message, when it sent one; else a summary. */
  readonly detail: string | undefined;
  /** The whole answer, for fields the vendor may add. */
  readonly body: unknown;
  /** `body` is the answer with every secret already redacted (see `readAnswer`). */
  constructor(action: string, body: Record<string, unknown>) {
    const errorCode = typeof body.errorCode === 'string' ? body.errorCode : undefined;
    const detail = ['message', 'msg', 'description', 'errorMessage']
      .map((k) => body[k])
      .find((v): v is string => typeof v === 'string' && v !== '');
    super(
      `${action} failed: the vendor answered success: false${errorCode ? ` (errorCode ${errorCode})` : ''}${detail ? `: ${detail}` : ''}`,
      action,
    );
    this.errorCode = errorCode;
    this.detail = detail;
    this.body = body;
  }
}

/** The gateway's own failure (`{errcode, description}`), or any non-2xx answer. */
export class QzzGatewayError extends QzzError {
  override name = 'QzzGatewayError';
  /** The HTTP status. */
  readonly status: number;
  /** The gateway's `errcode`, when the answer carried one (1030002006: the app secret rotated). */
  readonly errcode: number | undefined;
  /** The gateway's `description`, or what the answer said instead. */
  readonly description: string | undefined;
  /** How long the answer's `Retry-After` asks the caller to wait before sending again (a 429's, a 503's), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(
    action: string,
    status: number,
    errcode: number | undefined,
    description: string | undefined,
    retryAfterMs?: number | undefined,
  ) {
    super(
      `${action} failed: HTTP ${status}${errcode !== undefined ? `, errcode ${errcode}` : ''}${description ? `: ${description}` : ''}`,
      action,
    );
    this.status = status;
    this.errcode = errcode;
    this.description = description;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * What a call that got no answer did on the server:
 * - `not-sent`: nothing of the request left the machine: the call failed before `fetch` was called (the
 *   credentials could not be had, the caller's signal was already aborted), or `fetch` failed while connecting
 *   (refused, no such host, unreachable, the connect timed out, the server's certificate refused);
 * - `unknown`: `fetch` was called and got past connecting (or the client cannot tell that it did not), then the
 *   call timed out, was aborted or lost its connection: the server may have received the request and acted on it.
 */
export type CallOutcome = 'not-sent' | 'unknown';

/** No answer: the network failed, the call timed out or was aborted, or the answer was not readable. */
export class QzzNetworkError extends QzzError {
  override name = 'QzzNetworkError';
  /** True when the client's timeout ended the call. */
  readonly timedOut: boolean;
  /** True when the caller's signal aborted the call: it is never retried. */
  readonly aborted: boolean;
  /** Whether the server may have acted on the request (see `CallOutcome`): check before sending a save again. */
  readonly outcome: CallOutcome;
  constructor(
    action: string,
    message: string,
    timedOut: boolean,
    cause?: unknown,
    { aborted = false, outcome = 'unknown' }: { aborted?: boolean; outcome?: CallOutcome } = {},
  ) {
    super(
      `${action} failed: ${message}${outcome === 'unknown' ? ' (outcome unknown: the request may have reached the server)' : ''}`,
      action,
      cause === undefined ? undefined : { cause },
    );
    this.timedOut = timedOut;
    this.aborted = aborted;
    this.outcome = outcome;
  }
}

/** The failures of `fetch` known to have happened before any of the request left (see `markNotSent`). */
const unsent = new WeakSet<object>();
/** Records that `error` (a fetch failure, as the transport passes it on) happened before the request left. */
export function markNotSent<E extends object>(error: E): E {
  unsent.add(error);
  return error;
}
/** True when `error` was marked by `markNotSent`: the request it belongs to never left the machine. */
export const wasNotSent = (error: unknown): boolean => typeof error === 'object' && error !== null && unsent.has(error);

/** Secret fragments at least this long are redacted wherever they appear: a server may quote part of a token. */
const FRAGMENT = 8;
const REDACTED = '[redacted]';

/** How long `text` grows where an error is shown escaped: in JSON, and in `util.inspect` (which escapes quotes too). */
const escapedLength = (text: string) => JSON.stringify(text).length - 2 + (text.match(/'/g)?.length ?? 0);

/**
 * A function that replaces every secret in a text by `[redacted]`: whole, in every form of `secretForms`
 * (./secrets.ts: the forms a client, a server or a proxy may write it in), and
 * any fragment of one of those forms that is FRAGMENT characters long — or shorter, when escaping it for JSON
 * or `util.inspect` would make it that long. Built once per set of secrets, then applied to any number of texts.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  /** Dangerous substrings by length, longest first. */
  const byLength = new Map<number, Set<string>>();
  const add = (fragment: string) => {
    const set = byLength.get(fragment.length) ?? new Set<string>();
    set.add(fragment);
    byLength.set(fragment.length, set);
  };
  for (const form of new Set(secrets.filter((s) => s.length > 0).flatMap(secretForms))) {
    if (form.length <= FRAGMENT) {
      add(form);
      continue;
    }
    for (let i = 0; i < form.length; i++) {
      for (let length = 1; length <= FRAGMENT && i + length <= form.length; length++) {
        const fragment = form.slice(i, i + length);
        if (length === FRAGMENT || escapedLength(fragment) >= FRAGMENT) add(fragment);
      }
    }
  }
  const lengths = [...byLength.keys()].sort((a, b) => b - a);
  if (lengths.length === 0) return (text) => text;
  return (text) => {
    let covered: Uint8Array | undefined;
    for (let i = 0; i < text.length; i++) {
      for (const length of lengths) {
        if (i + length > text.length || !byLength.get(length)?.has(text.slice(i, i + length))) continue;
        covered ??= new Uint8Array(text.length);
        covered.fill(1, i, i + length);
        break;
      }
    }
    if (!covered) return text;
    let out = '';
    for (let i = 0; i < text.length; i++) {
      if (!covered[i]) out += text[i];
      else if (i === 0 || !covered[i - 1]) out += REDACTED;
    }
    return out;
  };
}

/** `text` with every secret redacted (see `redactor`); redact before truncating, so no cut leaves part of a secret. */
export function redact(text: string, secrets: readonly string[]): string {
  return redactor(secrets)(text);
}

/** A parsed answer with every string in it redacted, keys included (the redactor is built once). */
export function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  const clean = redactor(secrets);
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return clean(node);
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [clean(k), walk(v)]));
    return node;
  };
  return walk(value);
}

/** What `read` returns, or `fallback` when reading throws (a getter, a `toString` or a Proxy trap of someone else's). */
export function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/**
 * A thrown failure as an Error that quotes no secret: its name kept (`AbortError` and `TimeoutError` mean
 * something to callers), its message redacted, its cause dropped (it may hold the URL, token included).
 */
export function redactedError(error: unknown, secrets: readonly string[]): Error {
  const name = safely(() => (error instanceof Error ? error.name : undefined), undefined);
  const message = safely(
    () => (error instanceof Error ? error.message : String(error)),
    'the request failed, and its error could not be read',
  );
  const out = new Error(redact(message, secrets));
  if (name) out.name = name;
  return out;
}
