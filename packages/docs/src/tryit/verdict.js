// @ts-check
// The Try it verdict, in the browser: the proxy's own checker (packages/proxy/src/check.js, bundled into the
// page by esbuild, not rewritten) run on the exchange the reader just made, the way the proxy settles a known
// route (packages/proxy/src/settle.js): the action picked from the body sent, then the request and the answer
// checked against it. Loaded on the first Send, with the site's openapi.json (same origin).
import { createChecker } from '../../../proxy/src/check.js';
import { parseJson } from '../../../proxy/src/json.js';

/** @typedef {import('../../../proxy/src/check.js').FoldedFinding} Finding */

/** What each kind of finding is called, in Chinese and English. */
export const KIND_NAMES = {
  type: ['类型不符', 'wrong type'],
  'missing-field': ['缺少字段', 'missing field'],
  'undocumented-field': ['文档未列出的字段', 'field not in the spec'],
  constraint: ['不满足约束', 'constraint not met'],
  'undocumented-status': ['文档未列出的状态码', 'status not in the spec'],
  'not-json': ['不是 JSON', 'not JSON'],
  'missing-body': ['缺少请求体', 'no body'],
  'unknown-action': ['规范中没有的动作', 'an action the spec lacks'],
  'more-discrepancies': ['更多差异', 'more discrepancies'],
};

/** @type {Promise<ReturnType<typeof createChecker>> | undefined} */
let loading;

/** The checker of the site's document, loaded once. */
export function loadChecker(/** @type {string} */ documentUrl) {
  loading ??= fetch(documentUrl)
    .then((answer) => {
      if (!answer.ok) throw new Error(`${documentUrl} answered ${answer.status}`);
      return answer.json();
    })
    .then(createChecker);
  loading.catch(() => {
    loading = undefined; // a later Send tries again
  });
  return loading;
}

/**
 * A body's text as the checker reads it: parsed JSON, or why it is not JSON (undefined: no body).
 * @param {string} text @param {boolean} expectJson
 * @returns {{ body: unknown, parseError?: string }}
 */
function readText(text, expectJson) {
  if (text === '') return { body: undefined };
  if (!expectJson && !/^\s*[[{]/.test(text)) return { body: text };
  const parsed = parseJson(text);
  if (parsed === undefined) return { body: text, parseError: `text that is not JSON (${text.length} characters)` };
  if (parsed.tooDeep) return { body: undefined, parseError: 'JSON nested too deep to check' };
  return { body: parsed.value };
}

/**
 * The verdict on one exchange.
 * @param {ReturnType<typeof createChecker>} checker
 * @param {{ method: string, path: string, body: string, status: number, answer: string, answerType: string | undefined }} exchange
 * @returns {{ action: string | null, request: Finding[], answer: Finding[] | null }}
 *   the action the body selects, the request's findings, and the answer's (null: not checked, as the request
 *   selects no action the spec has)
 */
export function verdictOf(checker, { method, path, body, status, answer, answerType }) {
  const route = checker.routes.get(`${method} ${path}`);
  if (!route) throw new Error(`${method} ${path} is not a route of the spec`);
  const request = readText(body, route.textBody);
  const takesBody = Boolean(route.operation.requestBody);
  if (takesBody && (request.parseError || request.body === undefined)) {
    return { action: null, request: checker.checkRequest(route, undefined, request.body, request.parseError), answer: null };
  }
  const { action, unknown } = takesBody ? checker.pickAction(route, request.body) : { action: route.actions[0], unknown: false };
  if (unknown) {
    const spec = `one of ${route.actions.map((a) => a.name).join(', ')}`;
    return {
      action: null,
      request: [{ pointer: '', pattern: '', kind: 'unknown-action', spec, seen: 'other selector values', count: 1 }],
      answer: null,
    };
  }
  const read = readText(answer, true);
  return {
    action: action?.name ?? null,
    request: checker.checkRequest(route, action, request.body),
    answer: checker.checkResponse(route, action, status, read.parseError ? undefined : read.body, answerType),
  };
}
