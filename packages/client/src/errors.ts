// The client's failures, each a typed error. None of them carries a credential: messages and fields are
// built from what the server answered and the action's name and path, never from the request URL or headers.

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
    const detail = ['message', 'msg', 'description', 'errorMessage'].map((k) => body[k]).find((v): v is string => typeof v === 'string' && v !== '');
    super(`${action} failed: the vendor answered success: false${errorCode ? ` (errorCode ${errorCode})` : ''}${detail ? `: ${detail}` : ''}`, action);
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
  constructor(action: string, status: number, errcode: number | undefined, description: string | undefined) {
    super(`${action} failed: HTTP ${status}${errcode !== undefined ? `, errcode ${errcode}` : ''}${description ? `: ${description}` : ''}`, action);
    this.status = status;
    this.errcode = errcode;
    this.description = description;
  }
}

/** No answer: the network failed, the call timed out or was aborted, or the answer was not readable. */
export class QzzNetworkError extends QzzError {
  override name = 'QzzNetworkError';
  /** True when the client's timeout ended the call. */
  readonly timedOut: boolean;
  constructor(action: string, message: string, timedOut: boolean, cause?: unknown) {
    super(`${action} failed: ${message}`, action, cause === undefined ? undefined : { cause });
    this.timedOut = timedOut;
  }
}

/** Secret fragments at least this long are redacted wherever they appear: a server may quote part of a token. */
const FRAGMENT = 8;
const REDACTED = '[redacted]';

/**
 * Every form in which the client itself puts a secret on the wire or in text: as it is, `encodeURIComponent`,
 * the `URLSearchParams` form (`+` for a space, `%7E`, `%21`, `%27`, `%28`, `%29`), the signers' percent-encoding
 * (`!'()*` encoded too), and JSON-escaped.
 */
function secretForms(secret: string): string[] {
  const component = encodeURIComponent(secret);
  return [
    secret,
    component,
    new URLSearchParams({ s: secret }).toString().slice(2),
    component.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    JSON.stringify(secret).slice(1, -1),
  ];
}

/**
 * `text` with every secret replaced by `[redacted]`: whole, in every form of `secretForms`, and any fragment of
 * FRAGMENT characters or more of one of those forms. For messages that quote what others wrote (a fetch error,
 * a server's answer); redact before truncating, so no cut leaves part of a secret behind.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const forms = [...new Set(secrets.filter((s) => s.length > 0).flatMap(secretForms))];
  if (forms.length === 0 || text.length === 0) return text;
  const covered = new Uint8Array(text.length);
  for (const form of forms) {
    if (form.length <= FRAGMENT) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) covered.fill(1, at, at + form.length);
      continue;
    }
    const fragments = new Set<string>();
    for (let i = 0; i + FRAGMENT <= form.length; i++) fragments.add(form.slice(i, i + FRAGMENT));
    for (let i = 0; i + FRAGMENT <= text.length; i++) if (fragments.has(text.slice(i, i + FRAGMENT))) covered.fill(1, i, i + FRAGMENT);
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (!covered[i]) out += text[i];
    else if (i === 0 || !covered[i - 1]) out += REDACTED;
  }
  return out;
}

/** A parsed answer with `redact` applied to every string in it, keys included. */
export function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k, secrets), redactDeep(v, secrets)]));
  }
  return value;
}
