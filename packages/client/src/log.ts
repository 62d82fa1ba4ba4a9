// What the client tells a caller's logger: one line per attempt at debug, retries and credential refreshes at
// info, a failed call at warn (or error when a write's outcome is unknown). Each line is a small object of
// fields and a message, passed as `logger[level](fields, message)`: pino's and bunyan's order, so their users
// get the fields as fields; console prints the object, then the message. No line holds a body value, and every
// string in a line (the message included) goes through the client's redactor.
import type { ActionKind, AttemptRecord } from './action.js';
import { type CallOutcome, QzzBusinessError, QzzGatewayError, QzzNetworkError, safely } from './errors.js';

/** How much the client logs: `debug` is the most; `off` nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

/** The fields of a line. Only names, numbers and codes: never a body value, a header or a query. */
export interface QzzLogFields {
  /** This client's number for the call, from 1: its attempts, retries and failure share it. */
  call: number;
  /** `module.action`, or `POST <route>` for `client.call`. */
  action: string;
  /** The path the call is sent to, without the query (which holds the access token) and without the base URL. */
  route: string;
  /** The attempt, from 1 (a line per attempt); on a failed call's line, how many were sent. */
  attempt: number;
  /** The answer's HTTP status, when there was an answer. */
  status?: number;
  /** Milliseconds the attempt took, answer read (debug lines). */
  ms?: number;
  /** The vendor envelope's `errorCode`, when the answer carried one. */
  errorCode?: string;
  /** The gateway's `errcode`, when the answer carried one (1030002006: the app secret rotated). */
  errcode?: number;
  /** The error's class, when the attempt or the call failed (`QzzNetworkError`, …). */
  error?: string;
  /** For a failure without an answer: whether the server may have acted on the request. */
  outcome?: CallOutcome;
  /** True when the client's timeout ended the attempt. */
  timedOut?: boolean;
  /** Milliseconds before the next attempt (retry lines). */
  delayMs?: number;
}

/** One level's method: pino's `(object, message)` order; console's methods fit too. */
export type QzzLogMethod = (fields: QzzLogFields, message: string) => unknown;

/** Anything with debug, info, warn and error methods: `console`, a pino or bunyan logger, or your own. */
export interface QzzLogger {
  debug: QzzLogMethod;
  info: QzzLogMethod;
  warn: QzzLogMethod;
  error: QzzLogMethod;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, off: 4 };

/** A call as its log lines name it. */
export interface LoggedCall {
  id: number;
  label: string;
  route: string;
  kind: ActionKind;
}

/** What the client's caller tells the log; all no-ops when nothing is logged at that level. */
export interface CallLog {
  /** Numbers a new call (0 when nothing is logged). */
  next(): number;
  /** True when attempts are timed and logged (debug). */
  readonly timed: boolean;
  attempt(call: LoggedCall, attempt: number, startedAt: number, record: AttemptRecord, error?: unknown): void;
  retry(call: LoggedCall, attempt: number, delayMs: number, error: unknown): void;
  refresh(call: LoggedCall, attempt: number, error: unknown): void;
  failed(call: LoggedCall, attempts: number, error: unknown): void;
}

/**
 * A business `errorCode` as a log line or a report keeps it: a short code as it is, any other text by its length
 * alone (an upstream may put anything there: line breaks, forged fields, megabytes).
 */
export function safeCode(code: unknown): string | undefined {
  if (typeof code !== 'string' || code === '') return undefined;
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(code) ? code : `(a code of ${[...code].length} characters)`;
}

/**
 * Adds what a failure says of the answer to `line`: its class, status and codes, never its message (which may
 * quote the answer). Strings go through `clean`.
 */
function addFailure(line: QzzLogFields, error: unknown, clean: (text: string) => string): void {
  safely(() => {
    line.error = clean(error instanceof Error ? error.name : typeof error);
    const errorCode = error instanceof QzzBusinessError ? safeCode(error.errorCode) : undefined;
    if (errorCode !== undefined) line.errorCode = clean(errorCode);
    if (error instanceof QzzGatewayError) {
      line.status = error.status;
      if (error.errcode !== undefined) line.errcode = error.errcode;
    }
    if (error instanceof QzzNetworkError) {
      line.outcome = error.outcome;
      line.timedOut = error.timedOut;
    }
  }, undefined);
}

/**
 * The client's log, writing to `logger` at `level` and above. `clean` redacts a text (the client's redactor over
 * the secrets of the moment). A logger that throws never fails a call.
 */
export function callLog(logger: QzzLogger | undefined, level: LogLevel, clean: (text: string) => string): CallLog {
  const at = logger && RANK[level] !== undefined ? RANK[level] : RANK.off;
  const on = (wanted: Exclude<LogLevel, 'off'>) => at <= RANK[wanted];
  let calls = 0;

  function write(wanted: Exclude<LogLevel, 'off'>, message: string, line: QzzLogFields) {
    try {
      logger?.[wanted](line, clean(message));
    } catch {
      // The caller's logger failed: the call goes on.
    }
  }
  /** A line's fields, made in one literal (every line has the same first fields), its strings redacted. */
  const lineOf = (call: LoggedCall, attempt: number, error?: unknown): QzzLogFields => {
    const line: QzzLogFields = { call: call.id, action: clean(call.label), route: clean(call.route), attempt };
    if (error !== undefined) addFailure(line, error, clean);
    return line;
  };

  return {
    next: () => (at < RANK.off ? ++calls : 0),
    timed: on('debug'),
    attempt(call, attempt, startedAt, record, error) {
      if (!on('debug')) return;
      const line = lineOf(call, attempt, error);
      if (record.response) line.status = record.response.status;
      line.ms = Math.round((performance.now() - startedAt) * 100) / 100;
      const errorCode = safeCode(record.errorCode);
      if (errorCode !== undefined) line.errorCode = clean(errorCode);
      // The time is in the fields only: a message that repeats is redacted once (see the client's `clean`).
      write('debug', `qzz ${call.label}: attempt ${attempt}: ${line.status ?? line.error}`, line);
    },
    retry(call, attempt, delayMs, error) {
      if (!on('info')) return;
      const line = lineOf(call, attempt, error);
      line.delayMs = delayMs;
      write('info', `qzz ${call.label}: retrying in ${delayMs} ms`, line);
    },
    refresh(call, attempt, error) {
      if (!on('info')) return;
      write(
        'info',
        `qzz ${call.label}: the app secret rotated; refreshing the credentials and sending again`,
        lineOf(call, attempt, error),
      );
    },
    failed(call, attempts, error) {
      const unknownOutcome = error instanceof QzzNetworkError && error.outcome === 'unknown';
      // A write that may have happened needs a person (or code) to check before it is sent again.
      const unknownWrite = unknownOutcome && call.kind !== 'query';
      const wanted = unknownWrite ? 'error' : 'warn';
      if (!on(wanted)) return;
      write(
        wanted,
        `qzz ${call.label}: failed${unknownWrite ? ', outcome unknown: check before sending again' : ''}`,
        lineOf(call, attempts, error),
      );
    },
  };
}
