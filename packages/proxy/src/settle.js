// Settling one finished exchange, off the path that forwards (in the checker's worker thread): its kept bodies
// decoded and parsed, its action picked, the request and the answer checked, and what the spec lacks captured.
// Everything here works per field; none of it runs while a caller waits.
import { parseMediaType } from '@qzz/http';
import { selectorOf } from '@qzz/spec/actions';
import { printable, shapeOf, wholeBody } from './check.js';
import { decodeBody } from './decode.js';
import { parseJson } from './json.js';
import { MAX_JSON_DEPTH, MAX_VALIDATED_BYTES } from './limits.js';
import { cleanReportLine, cleanRoute, cleanText, secretsOf } from './redact.js';

/**
 * A body as the forwarding thread hands it over: the bytes kept (null when none were), its size on the wire,
 * whether it was over a limit, and, when that limit is not its size, which.
 * @typedef {{ bytes: Uint8Array | null, size: number, overflow: boolean, why?: string }} KeptBody
 * @typedef {{ time: string, method: string, pathname: string, search: string, headers: Record<string, string>,
 *   headerNames: string[], status: number, responseHeaders: Record<string, string | string[] | undefined>,
 *   request: KeptBody, response: KeptBody }} FinishedExchange
 * @typedef {import('./check.js').FoldedFinding & { time: string, route: string, action: string | null,
 *   direction: 'request' | 'response', status: number | null }} ExchangeLine
 *   A report line of one exchange, before the report folds repeats across exchanges.
 * @typedef {{ action: string | null, status: number, answer?: { success?: boolean, errcode?: number, errorCode?: string } }} Seen
 *   What was seen of one exchange beside its lines: its action (null: none the spec has), its status, and the members
 *   of its answer that tell a refusal (see `seenOf`).
 * @typedef {{ checker: ReturnType<typeof import('./check.js').createChecker>, store?: Awaited<ReturnType<typeof import('./capture.js').openCapture>> }} Settler
 * @typedef {{ unchecked: string } | { unchecked?: undefined, body: unknown, text?: boolean, parseError?: string }} ReadBody
 *   A kept body as the checks see it (parsed JSON, or the text and why it is not JSON), or why it is not checked.
 * @typedef {{ exchange: FinishedExchange, request: ReadBody, answer: ReadBody, lines: ExchangeLine[], logs: string[],
 *   secrets: () => import('./redact.js').Secrets }} Settling
 *   One exchange being settled: what it is, its bodies as read, the lines it has yielded so far, and what it must
 *   not leave in a report line, a console line or a capture (read once, when first needed).
 */

/** True for `application/json` and `application/…+json`. */
function isJsonType(contentType) {
  const essence = parseMediaType(contentType)?.essence ?? '';
  return essence === 'application/json' || (essence.startsWith('application/') && essence.endsWith('+json'));
}

/**
 * A kept body decoded and read.
 * @param {KeptBody} kept
 * @param {string | undefined} contentType
 * @param {string | undefined} contentEncoding
 * @param {boolean} expectJson
 * @returns {ReadBody}
 */
function readBody(kept, contentType, contentEncoding, expectJson) {
  if (kept.overflow || !kept.bytes) return { unchecked: kept.why ?? `${kept.size} bytes` };
  // No body (a HEAD's, a 204's, a 304's) has nothing to decode, whatever its Content-Encoding says.
  if (kept.bytes.length === 0) return { body: undefined };
  const decoded = decodeBody(kept.bytes, contentEncoding, MAX_VALIDATED_BYTES);
  if ('unchecked' in decoded) return decoded;
  const text = Buffer.from(decoded.bytes.buffer, decoded.bytes.byteOffset, decoded.bytes.byteLength).toString('utf8');
  if (text === '') return { body: undefined };
  if (!isJsonType(contentType) && !expectJson && !/^\s*[[{]/.test(text)) return { body: text, text: true };
  const parsed = parseJson(text);
  if (parsed === undefined) return { body: text, text: true, parseError: `text that is not JSON (${text.length} characters)` };
  if (parsed.tooDeep) return { unchecked: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  return { body: parsed.value };
}

/** A selector for the report: its field names, with a value only when it is a short code (`operation="audit"`). */
function describeSelector(selector, prefix = '') {
  const parts = Object.entries(selector).map(([k, v]) =>
    v && typeof v === 'object'
      ? describeSelector(v, `${prefix}${k}.`)
      : `${prefix}${k}=${printable(v) ? JSON.stringify(v) : `(${shapeOf(v)})`}`,
  );
  return parts.length ? parts.join(', ') : 'no selector values';
}

/**
 * Adds findings as report lines of one direction, for `action` (null: none could be picked).
 * @param {Settling} settling
 * @param {'request' | 'response'} direction
 * @param {string | null} action
 * @param {import('./check.js').FoldedFinding[]} findings
 */
function addLines({ exchange, lines }, direction, action, findings) {
  const route = `${exchange.method} ${exchange.pathname}`;
  const status = direction === 'response' ? exchange.status : null;
  for (const finding of findings) lines.push({ time: exchange.time, route, action, direction, status, ...finding });
}

/**
 * Keeps a successful exchange the spec lacks as an evidence record (when capturing), and says where. Secrets
 * are read from the exchange here (`secretsOf`) and removed by the store before anything is kept.
 * @param {Settler} settler
 * @param {Settling} settling
 * @param {{ selector: unknown, module?: string }} known what the record is of
 * @param {string} what how the console line names it
 */
async function captureExchange({ store }, { exchange, request, answer, logs, secrets }, known, what) {
  const { method, pathname, headers, status } = exchange;
  if (!store || request.unchecked !== undefined || answer.unchecked !== undefined || status < 200 || status >= 300) return;
  const query = new URLSearchParams(exchange.search);
  const route = () => cleanRoute(`${method} ${pathname}`, secrets());
  let file;
  try {
    file = await store.add({
      method,
      path: pathname,
      ...known,
      query,
      headers,
      headerNames: exchange.headerNames,
      contentType: headers['content-type'],
      body: request.body,
      status,
      answer: answer.body,
      secrets: secrets(),
    });
  } catch (error) {
    // A folder that can no longer be written (a full disk) costs this record, not the exchange's report lines.
    logs.push(`${exchange.time.slice(11, 19)} ${route()}${what} could not be captured: ${error.code ?? error.message}`);
    return;
  }
  logs.push(`${exchange.time.slice(11, 19)} ${route()}${what} captured in ${file}`);
}

/**
 * A route the spec lacks: reported, and captured. Resolves with null (no action of the spec).
 * @param {Settler} settler
 * @param {Settling} settling
 * @returns {Promise<null>}
 */
async function settleUnknownRoute(settler, settling) {
  const { method, pathname } = settling.exchange;
  const methods = [...settler.checker.routes.values()].filter((r) => r.path === pathname).map((r) => r.method);
  const spec = methods.length ? `only ${methods.join(', ')} on this path` : 'no such route';
  addLines(settling, 'request', null, [wholeBody({ pointer: '', kind: 'unknown-route', spec, seen: `${method} ${pathname}` })]);
  const body = settling.request.unchecked === undefined ? settling.request.body : undefined;
  await captureExchange(settler, settling, { selector: selectorOf(body, settler.checker.selectorKeys) }, '');
  return null;
}

/**
 * A known route: the action picked from the request body, then the request and the answer checked against
 * it; an action the spec lacks is reported and captured instead. Resolves with the action's name (null: none).
 * @param {Settler} settler
 * @param {Settling} settling
 * @param {import('./check.js').Route} route
 * @returns {Promise<string | null>}
 */
async function settleKnownRoute(settler, settling, route) {
  const { checker } = settler;
  const { request, answer, exchange } = settling;
  if (request.unchecked !== undefined) return null;
  const takesBody = Boolean(route.operation.requestBody);
  if (takesBody && (request.parseError || request.body === undefined)) {
    // Without a body there is nothing to pick the action by: the request is reported, the answer not checked.
    addLines(settling, 'request', null, checker.checkRequest(route, undefined, request.body, request.parseError));
    return null;
  }
  // An operation without a body (the gateway's token call) has one action.
  const { action, unknown } = takesBody ? checker.pickAction(route, request.body) : { action: route.actions[0], unknown: false };
  if (unknown) {
    const selector = selectorOf(request.body, route.selectorKeys);
    const spec = `one of ${route.actions.map((a) => a.name).join(', ')}`;
    addLines(settling, 'request', null, [
      wholeBody({ pointer: '', kind: 'unknown-action', spec, seen: `a body selecting ${describeSelector(selector)}` }),
    ]);
    await captureExchange(settler, settling, { selector, module: route.operation.tags?.[0] }, ' (new action)');
    return null;
  }
  const name = action?.name ?? null;
  addLines(settling, 'request', name, checker.checkRequest(route, action, request.body));
  if (answer.unchecked !== undefined) return name;
  const body = answer.parseError ? undefined : answer.body;
  addLines(
    settling,
    'response',
    name,
    checker.checkResponse(route, action, exchange.status, body, [exchange.responseHeaders['content-type']].flat()[0]),
  );
  return name;
}

/**
 * Checks (and perhaps captures) one finished exchange; resolves with its report lines and console lines.
 * @param {Settler} settler
 * @param {FinishedExchange} exchange
 * @returns {Promise<{ lines: ExchangeLine[], logs: string[], seen: Seen }>}
 */
export async function settle(settler, exchange) {
  const route = settler.checker.routes.get(`${exchange.method} ${exchange.pathname}`);
  const { headers, responseHeaders } = exchange;
  const request = readBody(exchange.request, headers['content-type'], [headers['content-encoding']].flat()[0], Boolean(route?.textBody));
  const answer = readBody(
    exchange.response,
    [responseHeaders['content-type']].flat()[0],
    [responseHeaders['content-encoding']].flat()[0],
    true,
  );
  /** @type {import('./redact.js').Secrets | undefined} */
  let secrets;
  /** @type {Settling} */
  const settling = {
    exchange,
    request,
    answer,
    lines: [],
    logs: [],
    secrets: () =>
      (secrets ??= secretsOf({
        path: exchange.pathname,
        query: new URLSearchParams(exchange.search),
        headers,
        body: request.unchecked === undefined ? request.body : undefined,
        answer: answer.unchecked === undefined ? answer.body : undefined,
        answerHeaders: responseHeaders,
      })),
  };
  for (const [direction, body] of /** @type {const} */ ([
    ['request', settling.request],
    ['response', settling.answer],
  ])) {
    if (body.unchecked === undefined) continue;
    const spec = `bodies up to ${MAX_VALIDATED_BYTES} bytes (decoded from gzip, deflate or br), nested up to ${MAX_JSON_DEPTH} levels, are validated`;
    addLines(settling, direction, null, [
      wholeBody({ pointer: '', kind: 'not-validated', spec, seen: `${body.unchecked}, forwarded untouched` }),
    ]);
  }
  const action = route ? await settleKnownRoute(settler, settling, route) : await settleUnknownRoute(settler, settling);
  // Lines name the route and body keys (a pointer), and say what they saw: none may carry a secret or personal value.
  return {
    lines: settling.lines.map((line) => cleanReportLine(line, settling.secrets())),
    logs: settling.logs,
    seen: seenOf(settling, action ?? null),
  };
}

/**
 * What a reader of recorded exchanges (`check --har`) needs to judge one: the action the checker picked (null: none),
 * and the answer's envelope members that say whether it refused: `success`, `errcode`, and a refusal's `errorCode`
 * cleaned of the exchange's secrets (an answer may echo anything).
 * @param {Settling} settling
 * @param {string | null} action
 * @returns {Seen}
 */
function seenOf(settling, action) {
  const { status } = settling.exchange;
  const body = settling.answer.unchecked === undefined && !settling.answer.text ? settling.answer.body : undefined;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { action, status };
  const envelope = /** @type {Record<string, unknown>} */ (body);
  return {
    action,
    status,
    answer: {
      ...(typeof envelope.success === 'boolean' ? { success: envelope.success } : {}),
      ...(typeof envelope.errcode === 'number' ? { errcode: envelope.errcode } : {}),
      // Only a refusal's errorCode is ever said; reading the exchange's secrets for every answer would cost the
      // checker's thread more than the check itself.
      ...(typeof envelope.errorCode === 'string' && envelope.success !== true
        ? { errorCode: cleanText(envelope.errorCode, settling.secrets()) }
        : {}),
    },
  };
}
