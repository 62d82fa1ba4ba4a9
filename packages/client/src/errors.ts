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
    const { stack: _stack, cause: _cause, ...fields } = this as unknown as Record<string, unknown>;
    return { ...fields, name: this.name, message: this.message };
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
  constructor(action: string, answer: Record<string, unknown>, secrets: readonly string[] = []) {
    // The answer is the server's: it may quote a credential back, so it is kept redacted.
    const body = JSON.parse(redact(JSON.stringify(answer), secrets)) as Record<string, unknown>;
    const errorCode = typeof body.errorCode === 'string' ? body.errorCode : undefined;
    const detail = ['message', 'msg', 'description', 'errorMessage'].map((k) => body[k]).find((v) => typeof v === 'string' && v) as string | undefined;
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

/** `text` with every secret replaced: for messages that quote what others wrote (a fetch error, a server). */
export function redact(text: string, secrets: readonly string[]): string {
  // Also as it appears percent-encoded (in a quoted URL) and JSON-escaped (in a quoted body).
  const forms = secrets.filter((s) => s.length >= 4).flatMap((s) => [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)]);
  return [...new Set(forms)].reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}
