// One vendor action as scripts/generate.js writes it into src/generated/actions.ts: its kind, whether the gateway
// signs it (read from the spec's `security`), and a sender that hands the request to openapi-fetch under the
// action's literal path, so each call is type-checked against the spec's path, method and body.
import type { Client } from 'openapi-fetch';
import type { paths } from './generated/schema.js';
import type { QzzPromise } from './promise.js';
import type { SignedHeaders } from './signing.js';

/** The typed openapi-fetch client of every path in the spec. */
export type SpecClient = Client<paths>;

/** What an action does, from the spec: only a `query` is read-only (and so retried). */
export type ActionKind = 'query' | 'save' | 'audit' | 'save-audit' | 'push' | 'operate';

/** How a business call's body is sent: JSON, or JSON text in a text/plain body (three vendor endpoints). */
export type BodyType = 'application/json' | 'text/plain';

/**
 * The request options of a text/plain route: the spec types its body as a string (JSON text), which is sent as
 * it is rather than serialized again as JSON.
 */
export function jsonText(value: unknown) {
  return { body: JSON.stringify(value), bodySerializer: (text: unknown) => text, headers: { 'Content-Type': 'text/plain' } } as const;
}

/** openapi-fetch's answer when asked for text: a 2xx body as text, any other parsed when it is JSON. */
export interface TextAnswer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** What a business sender passes to openapi-fetch besides the body. */
export interface SendInit {
  parseAs: 'text';
  signal: AbortSignal | undefined;
  /** The client's base URL and the operation's own server prefix, for an operation with a server of its own. */
  baseUrl?: string;
}

/** What one attempt learned of its answer, for the log and `withResponse()`: set by the sender as it reads it. */
export interface AttemptRecord {
  response?: Response;
  /** The vendor envelope's `errorCode`, when the answer carried one. */
  errorCode?: string;
}

/** A business action: the credentials ride on the client it is given; the body is the caller's input, selected. */
export interface BusinessAction<Input> {
  kind: ActionKind;
  signed: false;
  /** The operation's path in the spec (under `serverPrefix`, if any). */
  path: string;
  /** What the operation's own server adds in front of its path (e.g. `/mxocminimes`), if it has one. */
  serverPrefix?: string;
  send(client: SpecClient, input: Input, init: SendInit): Promise<TextAnswer>;
}

/** The query of a signed call: every value is signed, as text. */
export type SignedQuery = Record<string, string | undefined>;

/** What a signed sender passes to openapi-fetch besides the query. */
export interface SignedInit {
  headers: SignedHeaders;
  signal: AbortSignal | undefined;
}

/** A call of the Kingdee gateway itself: signed over its method, path and query; its body, if any, is fixed. */
export interface SignedAction<Query extends SignedQuery> {
  kind: ActionKind;
  signed: true;
  method: 'get' | 'post';
  path: string;
  send(client: SpecClient, query: Query, init: SignedInit): Promise<TextAnswer>;
}

export interface CallOptions {
  /** Aborts the call (and its retries). */
  signal?: AbortSignal;
}

/** Runs an action with the client's credentials, errors and retry rule; resolves to the answer's typed `data`. */
export interface ActionRunner {
  business<Input, Output>(label: string, action: BusinessAction<Input>, input: Input, options?: CallOptions): QzzPromise<Output>;
  signed<Query extends SignedQuery, Output>(
    label: string,
    action: SignedAction<Query>,
    query: Query,
    options?: CallOptions,
  ): QzzPromise<Output>;
}
