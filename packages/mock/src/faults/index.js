// The gateway's failures on demand: a budget of calls per account set (`--rate-limit`) and rules that make a
// call fail as the gateway or the network can (`--faults`). The mock's core asks here, for each business call,
// whether a fault answers it instead, or changes how its answer is sent (a delay, a stall, a reset); every such
// answer is marked as the mock's own (`x-qzz-fault`). What each answer holds rests on reference/gateway.md and
// the spec's gateway responses; where they show only a message, the answer carries only that message.
import { KIT_HEADERS } from '@qzz/http';
import { listActions } from '@qzz/spec/actions';
import { jsonAnswer } from '../answer.js';
import { checkRules, FaultRulesError, loadRules } from './rules.js';

export { FaultRulesError };

/** @typedef {import('./rules.js').FaultRule} FaultRule */
/** @typedef {import('../answer.js').MockAnswer} MockAnswer */
/**
 * One business call as the faults see it: its action (the one Prism accepted; undefined before that), the route it
 * was sent to, its account set and its access token.
 * @typedef {{ action?: string, route: string, groupName: string, accountid: string, token: string }} FaultCall
 */
/**
 * What a fault does to a call: answers it instead (`answer`), or sends its own answer late (`delayMs`), never
 * (`cut: 'stall'`) or cut off half-way (`cut: 'reset'`).
 * @typedef {{ name: string, answer?: MockAnswer, delayMs?: number, cut?: 'stall' | 'reset' }} FaultEffect
 */

/**
 * The gateway's error code when the app secret has rotated (授权密钥校验失败, reference/gateway.md): the client
 * authorises again and retries once.
 */
const SECRET_ROTATED = 1030002006;
/** How many account sets the rate limit and the rotations keep track of at once; past it the oldest is forgotten. */
export const MAX_TRACKED_ACCOUNT_SETS = 10_000;

/**
 * A fault's answer: JSON, marked as the mock's own.
 * @param {string} name
 * @param {number} status
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 */
const faultAnswer = (name, status, body, headers = {}) => jsonAnswer(status, body, { [KIT_HEADERS.fault]: name, ...headers });

/**
 * The answers of the faults that answer for the gateway. The sources show a message at most (the 519's
 * `X-Api-Signature is invalid`, the 404's "No Route", the rotation's `1030002006` 授权密钥校验失败), never a whole
 * body: each answer is the gateway's error envelope (`GatewayError`) with only what the sources show, and the 429,
 * of which they show nothing, a description of the mock's own.
 */
const GATEWAY_ANSWERS = {
  /** @param {number} retryAfter @param {string} why */
  'rate-limited': (retryAfter, why) =>
    faultAnswer('rate-limited', 429, { description: `Rate limited by the mock (${why}).` }, { 'retry-after': String(retryAfter) }),
  rejected: () => faultAnswer('rejected', 519, { description: 'X-Api-Signature is invalid' }),
  'no-route': () => faultAnswer('no-route', 404, { description: 'No Route' }),
  // The HTTP status the gateway answers a rotated secret with is not documented: 200, as its other envelopes.
  'secret-rotated': () => faultAnswer('secret-rotated', 200, { errcode: SECRET_ROTATED, description: '授权密钥校验失败' }),
  // A business failure as the spec reads one (BusinessFailure: HTTP 200, `success: false`), with the code asked for.
  /** @param {string} errorCode */
  'business-failure': (errorCode) => faultAnswer('business-failure', 200, { success: false, errorCode }),
};

/**
 * `--rate-limit <n>/<s|min>`: n calls per second or per minute, per account set.
 * @param {string} value
 * @returns {{ limit: number, windowMs: number, text: string }}
 */
export function parseRateLimit(value) {
  const match = /^([1-9][0-9]{0,8})\/(s|min)$/.exec(String(value).trim());
  if (!match) throw new Error(`--rate-limit takes <calls>/<s|min>, such as 500/min or 10/s, not ${JSON.stringify(value)}.`);
  return { limit: Number(match[1]), windowMs: match[2] === 's' ? 1_000 : 60_000, text: `${match[1]}/${match[2]}` };
}

/**
 * A Map that holds at most MAX_TRACKED_ACCOUNT_SETS keys: setting one more forgets the oldest.
 * @template V
 */
class Bounded extends Map {
  /** @param {string} key @param {V} value */
  set(key, value) {
    this.delete(key);
    super.set(key, value);
    if (this.size > MAX_TRACKED_ACCOUNT_SETS) this.delete(this.keys().next().value);
    return this;
  }
}

const accountSetKey = (/** @type {FaultCall} */ call) => JSON.stringify([call.groupName, call.accountid]);

/**
 * The rate limit: a fixed window per account set, opened by its first call and lasting `windowMs`; the calls past
 * `limit` in it are answered 429 with a Retry-After of the seconds until it closes. (How the gateway counts is not
 * documented; a fixed window makes the budget exact.)
 * @param {{ limit: number, windowMs: number, text: string }} rate
 * @param {() => number} now
 */
function rateLimiter({ limit, windowMs, text }, now) {
  /** @type {Bounded<{ opened: number, calls: number }>} */
  const windows = new Bounded();
  return (/** @type {FaultCall} */ call) => {
    const key = accountSetKey(call);
    const at = now();
    let window = windows.get(key);
    if (!window || at - window.opened >= windowMs) {
      window = { opened: at, calls: 0 };
      windows.set(key, window);
    }
    window.calls++;
    if (window.calls <= limit) return undefined;
    const retryAfter = Math.max(1, Math.ceil((window.opened + windowMs - at) / 1000));
    return GATEWAY_ANSWERS['rate-limited'](retryAfter, `--rate-limit ${text}: the account set's calls are spent until the window closes`);
  };
}

/** True when every field the rule matches on has the call's value. @param {FaultRule} rule @param {FaultCall} call */
const matches = ({ match }, call) =>
  (match.action === undefined || match.action === call.action) &&
  (match.route === undefined || match.route === call.route) &&
  (match.groupName === undefined || match.groupName === call.groupName) &&
  (match.accountid === undefined || match.accountid === call.accountid);

/**
 * Whether a rule fires on the call it has just counted (its `seen`-th): past its first `after` calls, on every
 * `every`-th of the rest, at most `times` times.
 * @param {FaultRule} rule @param {{ seen: number, fired: number }} count
 */
function due(rule, count) {
  const past = count.seen - (rule.after ?? 0);
  if (past <= 0) return false;
  if (rule.every !== undefined && past % rule.every !== 0) return false;
  return rule.times === undefined || count.fired < rule.times;
}

/**
 * What a rule that fired does to the call.
 * @param {FaultRule} rule
 * @param {() => number} random
 * @returns {FaultEffect}
 */
function effectOf(rule, random) {
  const name = rule.fault;
  switch (rule.fault) {
    case 'rate-limited':
      return { name, answer: GATEWAY_ANSWERS['rate-limited'](rule.retryAfter ?? 1, `fault rule at ${rule.at}`) };
    case 'business-failure':
      return { name, answer: GATEWAY_ANSWERS['business-failure'](rule.errorCode ?? '') };
    case 'rejected':
    case 'no-route':
    case 'secret-rotated':
      return { name, answer: GATEWAY_ANSWERS[rule.fault]() };
    case 'delay':
      return { name, delayMs: (rule.ms ?? 0) + Math.floor(random() * ((rule.jitter ?? 0) + 1)) };
    default:
      return { name, cut: rule.fault };
  }
}

/**
 * The rules in force, each with its count of the calls it matched and of the times it fired. A `secret-rotated`
 * rule that fired also remembers, per account set, the token it refused: calls with that token are refused alike
 * (and counted by no rule) until a call comes with another one — the client has authorised again — and is
 * answered as usual.
 * @param {FaultRule[]} rules
 * @param {() => number} random
 */
function ruleBook(rules, random) {
  const states = rules.map((rule) => ({ rule, count: { seen: 0, fired: 0 }, /** @type {Bounded<string>} */ refused: new Bounded() }));
  /** @param {FaultCall} call @returns {FaultEffect | undefined} */
  return (call) => {
    const key = accountSetKey(call);
    for (const { rule, refused } of states) {
      if (rule.fault !== 'secret-rotated' || !refused.has(key) || !matches(rule, call)) continue;
      if (refused.get(key) === call.token) return { name: rule.fault, answer: GATEWAY_ANSWERS['secret-rotated']() };
      refused.delete(key);
    }
    let chosen;
    for (const state of states) {
      if (!matches(state.rule, call)) continue;
      state.count.seen++;
      if (!chosen && due(state.rule, state.count)) chosen = state;
    }
    if (!chosen) return undefined;
    chosen.count.fired++;
    if (chosen.rule.fault === 'secret-rotated') chosen.refused.set(key, call.token);
    return effectOf(chosen.rule, random);
  };
}

/**
 * The faults a mock was started with, or undefined for none. `faults`: a rule file (YAML or JSON), or the
 * parsed `{ faults: [...] }` in code; `rateLimit`: `'<n>/<s|min>'`. Throws a FaultRulesError naming the line and
 * field of a rule it cannot use.
 * @param {{ doc: any, faults?: string | { faults: unknown[] }, rateLimit?: string, now?: () => number, random?: () => number }} options
 */
export async function createFaults({ doc, faults, rateLimit, now = Date.now, random = Math.random }) {
  if (faults === undefined && rateLimit === undefined) return undefined;
  const actions = listActions(doc);
  const known = { actions: new Set(actions.map((a) => a.name)), routes: new Set(actions.map((a) => a.wirePath)) };
  const rules =
    typeof faults === 'string' ? await loadRules(faults, known) : checkRules(faults ?? { faults: [] }, known, () => 'the faults option');
  const limited = rateLimit === undefined ? () => undefined : rateLimiter(parseRateLimit(rateLimit), now);
  const pick = ruleBook(rules, random);
  return {
    /** The 429 of a call past its account set's budget, or undefined. Every business call counts, refused or not. */
    limited,
    /** What the rules do to a call the mock accepted, or undefined. */
    pick,
  };
}
