// `--faults <file>`: the rules that make the mock answer as the gateway fails, read from YAML or JSON and checked
// field by field, so a mistake is named with its line and field before the mock starts.
import { readFile } from 'node:fs/promises';
import { isObject } from '@qzz/spec/actions';
import { LineCounter, parseDocument } from 'yaml';

/** What each fault does, and the fields it takes besides `match`, `every`, `after` and `times`. */
export const FAULTS = Object.freeze({
  'rate-limited': ['retryAfter'],
  rejected: [],
  'no-route': [],
  'secret-rotated': [],
  delay: ['ms', 'jitter'],
  stall: [],
  reset: [],
  'business-failure': ['errorCode'],
});
/** @typedef {keyof typeof FAULTS} FaultName */

/** The longest a delay or a Retry-After may be: ten minutes, far past any client's timeout. */
export const MAX_DELAY_MS = 600_000;
const MAX_COUNT = 1_000_000_000;
const MATCH_KEYS = ['action', 'route', 'groupName', 'accountid'];
const RULE_KEYS = ['fault', 'match', 'every', 'after', 'times'];

/**
 * One rule, checked: which calls it matches, when it fires, and the fault's own settings.
 * @typedef {{
 *   fault: FaultName,
 *   match: { action?: string, route?: string, groupName?: string, accountid?: string },
 *   every?: number, after?: number, times?: number,
 *   retryAfter?: number, ms?: number, jitter?: number, errorCode?: string,
 *   at: string,
 * }} FaultRule
 *   `at`: where the rule was written (`faults.yaml:4 (faults[0])`), for messages.
 */

/** A rule file or rule list the mock cannot use: the message names the place and the field. */
export class FaultRulesError extends Error {}

/**
 * What a rule may name, from the bundle: its actions and its routes (wire paths).
 * @typedef {{ actions: Set<string>, routes: Set<string> }} Known
 */

/**
 * Checks a list of rules (parsed from a file, or given in code). `where(path)` says where a field is written,
 * for messages (`faults.yaml:7`, or `the faults option`).
 * @param {unknown} value the parsed document: `{ faults: [rule, …] }`
 * @param {Known} known
 * @param {(path: (string | number)[]) => string} where
 * @returns {FaultRule[]}
 */
export function checkRules(value, known, where) {
  /** @type {(path: (string | number)[], why: string) => never} */
  const fail = (path, why) => {
    throw new FaultRulesError(`${where(path)}: ${fieldName(path) || 'the rules'} ${why}`);
  };
  if (!isObject(value) || !Array.isArray(value.faults))
    fail([], 'must be an object with a "faults" list: {"faults": [{"fault": "rate-limited"}]}.');
  for (const key of Object.keys(value)) if (key !== 'faults') fail([key], 'is not a field of a fault file (only "faults").');
  return value.faults.map((rule, i) => checkRule(rule, ['faults', i], known, fail, where));
}

/**
 * @param {unknown} rule
 * @param {(string | number)[]} at
 * @param {Known} known
 * @param {(path: (string | number)[], why: string) => never} fail
 * @param {(path: (string | number)[]) => string} where
 * @returns {FaultRule}
 */
function checkRule(rule, at, known, fail, where) {
  if (!isObject(rule)) fail(at, 'must be an object such as {"fault": "delay", "ms": 200}.');
  const fault = rule.fault;
  if (typeof fault !== 'string' || !Object.hasOwn(FAULTS, fault))
    fail(
      [...at, 'fault'],
      `must be one of ${Object.keys(FAULTS).join(', ')}${fault === undefined ? '' : `, not ${JSON.stringify(fault)}`}.`,
    );
  /** @type {readonly string[]} */
  const own = FAULTS[/** @type {FaultName} */ (fault)];
  for (const key of Object.keys(rule))
    if (!RULE_KEYS.includes(key) && !own.includes(key))
      fail([...at, key], `is not a field of a ${fault} rule (its fields: ${[...RULE_KEYS, ...own].join(', ')}).`);
  /** @type {FaultRule} */
  const checked = {
    fault: /** @type {FaultName} */ (fault),
    match: checkMatch(rule.match, [...at, 'match'], known, fail),
    at: `${where(at)} (${fieldName(at)})`,
  };
  for (const key of ['every', 'times']) if (rule[key] !== undefined) checked[key] = whole(rule[key], [...at, key], 1, MAX_COUNT, fail);
  if (rule.after !== undefined) checked.after = whole(rule.after, [...at, 'after'], 0, MAX_COUNT, fail);
  if (fault === 'rate-limited') checked.retryAfter = whole(rule.retryAfter ?? 1, [...at, 'retryAfter'], 0, MAX_DELAY_MS / 1000, fail);
  if (fault === 'delay') {
    if (rule.ms === undefined) fail([...at, 'ms'], 'is required: how many milliseconds to wait before answering.');
    const ms = whole(rule.ms, [...at, 'ms'], 0, MAX_DELAY_MS, fail);
    checked.ms = ms;
    checked.jitter = whole(rule.jitter ?? 0, [...at, 'jitter'], 0, MAX_DELAY_MS - ms, fail);
  }
  if (fault === 'business-failure') {
    const code = rule.errorCode;
    if (typeof code !== 'string' || code === '' || code.length > 100)
      fail([...at, 'errorCode'], 'is required: the errorCode of the business failure, as text of 1 to 100 characters.');
    checked.errorCode = code;
  }
  return checked;
}

/**
 * @param {unknown} match
 * @param {(string | number)[]} at
 * @param {Known} known
 * @param {(path: (string | number)[], why: string) => never} fail
 */
function checkMatch(match, at, known, fail) {
  if (match === undefined) return {};
  if (!isObject(match)) fail(at, `must be an object of ${MATCH_KEYS.join(', ')}.`);
  /** @type {FaultRule['match']} */
  const checked = {};
  for (const [key, value] of Object.entries(match)) {
    if (!MATCH_KEYS.includes(key)) fail([...at, key], `is not something a rule matches on (${MATCH_KEYS.join(', ')}).`);
    if (typeof value !== 'string' || value === '') fail([...at, key], 'must be a non-empty string.');
    if (key === 'action' && !known.actions.has(value)) fail([...at, key], `names no action of the spec: ${JSON.stringify(value)}.`);
    if (key === 'route' && !known.routes.has(value))
      fail([...at, key], `names no route of the spec: ${JSON.stringify(value)} (a path such as /mxoc_qm/inspect_query).`);
    checked[/** @type {keyof FaultRule['match']} */ (key)] = value;
  }
  return checked;
}

/** A whole number from `min` to `max`, or a failure naming the field. */
function whole(value, at, min, max, fail) {
  if (!Number.isInteger(value) || value < min || value > max)
    fail(at, `must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}.`);
  return value;
}

/** A field's path as it is written in messages: `faults[1].match.action`. @param {(string | number)[]} path */
const fieldName = (path) => path.reduce((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${key}` : key), '');

/**
 * Reads and checks a rule file, YAML or JSON (JSON is YAML too: one parser gives both their line numbers).
 * @param {string} file
 * @param {Known} known
 * @returns {Promise<FaultRule[]>}
 */
export async function loadRules(file, known) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FaultRulesError(`The fault file ${file} cannot be read: ${error.message}`);
  }
  const lines = new LineCounter();
  // Duplicate keys are errors (in JSON they are ambiguous); aliases are refused when converted (no "billion laughs").
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const [error] = doc.errors;
  if (error) throw new FaultRulesError(`${file}:${lines.linePos(error.pos[0]).line}: not YAML or JSON: ${error.message.split('\n')[0]}`);
  /** The line of the deepest node of `path` the file holds (a field that is missing: its rule's line). */
  const where = (/** @type {(string | number)[]} */ path) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = /** @type {{ range?: number[] } | null | undefined} */ (
        depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)
      );
      if (node?.range) return `${file}:${lines.linePos(node.range[0]).line}`;
    }
    return file;
  };
  let value;
  try {
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (error) {
    throw new FaultRulesError(`${file}: ${error.message} (a fault file takes no YAML aliases).`);
  }
  return checkRules(value, known, where);
}
