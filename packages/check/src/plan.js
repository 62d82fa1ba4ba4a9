// Which actions a check sends, with which body, and why it leaves the others out. The spec's kinds decide what is
// safe (queries read; a push answers an unsaved draft; saves and audits write), and the inputs are real ones: a
// body the user gave (--input), or a bill id a query of this run answered. The vendor's documented example ids are
// never sent: on a tenant they are someone else's bills, or nobody's.
import { effectOf, isObject, listActions, moduleKey } from '@qzz/spec/actions';

// An id as the vendor writes them: a string of 15 or more digits, sometimes negative.
const ID = /^-?[0-9]{15,}$/;
// An id that names no bill: "0" (an unsaved draft), "", "-0".
const NO_ID = /^-?0*$/;

/** JSON text parsed, or undefined when it is not JSON. */
function parseJson(/** @type {string} */ text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * @typedef {ReturnType<typeof listActions>[number]} Action
 * @typedef {{ path: (string | number)[], id: string }} IdPlace where a template holds a documented id
 * @typedef {{ action: Action, send: 'body', input: unknown }
 *   | { action: Action, send: 'derived', template: unknown, places: IdPlace[], form: string }
 *   | { action: Action, send: 'never', reason: string }
 *   | { action: Action, send: 'credentials' }} Step
 *   One action's part in a run: sent with a body; sent once a query of this run has answered an id of `form`
 *   (its template's id places filled with it); never sent (why); or a call of the Kingdee flow, made when the
 *   client fetches its credentials.
 */

/**
 * Every id-shaped string in the bundle's examples (JSON text inside a string included).
 * @param {any} doc
 * @returns {Set<string>}
 */
export function exampleIds(doc) {
  const ids = new Set();
  const visit = (value) => {
    if (typeof value === 'string') {
      if (ID.test(value)) ids.add(value);
      else if (/^\s*[[{]/.test(value)) {
        const parsed = parseJson(value);
        if (parsed !== undefined) visit(parsed);
      }
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) Object.values(value).forEach(visit);
  };
  for (const example of Object.values(doc.components?.examples ?? {})) visit(example?.value);
  return ids;
}

/**
 * The places in `value` that hold one of `ids`.
 * @param {unknown} value
 * @param {Set<string>} ids
 * @returns {IdPlace[]}
 */
export function idPlaces(value, ids, path = /** @type {(string | number)[]} */ ([])) {
  if (typeof value === 'string') return ids.has(value) ? [{ path, id: value }] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => idPlaces(item, ids, [...path, i]));
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => idPlaces(v, ids, [...path, k]));
  return [];
}

/** A JSON pointer for a place (for a reason: names, never values). */
export const pointerOf = (/** @type {(string | number)[]} */ path) =>
  path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/**
 * `template` with every place set to `id`.
 * @param {unknown} template
 * @param {IdPlace[]} places
 * @param {string} id
 */
export function fillIds(template, places, id) {
  const out = structuredClone(template);
  for (const { path } of places) {
    let node = /** @type {any} */ (out);
    for (const key of path.slice(0, -1)) node = node[key];
    node[/** @type {string | number} */ (path.at(-1))] = id;
  }
  return out;
}

/** The form id a query lists bills of: its selector's `formId` (any casing), when it has one. */
export function listedForm(/** @type {Action} */ action) {
  if (action.kind !== 'query') return undefined;
  const entry = Object.entries(action.select ?? {}).find(([key, value]) => key.toLowerCase() === 'formid' && typeof value === 'string');
  return entry?.[1];
}

/** How many nodes of an answer are looked at for ids, at most: an answer may be any size. */
const MAX_NODES = 10_000;

/**
 * The `id` of every object in an answer that has one, with how deep the object is (0: the answer itself, or an item
 * of an answer that is a list), breadth first. Bounded: at most MAX_NODES nodes are looked at.
 * @param {unknown} data
 * @returns {{ id: unknown, depth: number }[]}
 */
export function idsIn(data) {
  const found = [];
  const queue = [{ node: data, depth: 0 }];
  for (let seen = 0; queue.length && seen < MAX_NODES; seen++) {
    const { node, depth } = /** @type {{ node: unknown, depth: number }} */ (queue.shift());
    if (Array.isArray(node)) queue.push(...node.map((item) => ({ node: item, depth })));
    else if (isObject(node)) {
      if ('id' in node) found.push({ id: node.id, depth });
      queue.push(...Object.values(node).map((value) => ({ node: value, depth: depth + 1 })));
    }
  }
  return found;
}

/** An id that names something: digits, not all zero (written as a string, or as a number by a careless upstream). */
const namesSomething = (/** @type {unknown} */ id) =>
  (typeof id === 'string' || typeof id === 'number') && /^-?[0-9]+$/.test(String(id)) && !NO_ID.test(String(id));

/**
 * Bill ids an answer lists: the `id` of each object in it that has one naming a bill (not "0", not a documented
 * example id), in order, without repeats.
 * @param {unknown} data
 * @param {Set<string>} documented
 * @returns {string[]}
 */
export function billIds(data, documented) {
  const ids = idsIn(data).flatMap(({ id }) => (typeof id === 'string' && namesSomething(id) && !documented.has(id) ? [id] : []));
  return [...new Set(ids)];
}

/**
 * True when a push's answer names a saved bill rather than an unsaved draft (whose id, and its entries', is "0"):
 * the answer's own id, or an item's of a list, that is not zero; or, anywhere in it (a nested bill, an entry), an id
 * of the vendor's shape that is not zero. Deeper, a short id is no bill's: the vendor's draft carries `mullabel`
 * entries with ids like "48".
 * @param {unknown} data
 */
export const savedBill = (data) => idsIn(data).some(({ id, depth }) => namesSomething(id) && (depth === 0 || ID.test(String(id))));

/** The documented request example of an action, parsed when it is JSON text (the text/plain routes). */
function requestTemplate(doc, /** @type {Action} */ action) {
  const value = doc.components?.examples?.[action.examples?.request]?.value;
  return typeof value === 'string' ? (parseJson(value) ?? value) : value;
}

/** How to ask for an action's input on the command line. */
const inputHint = (/** @type {Action} */ action) => `--input ${action.name}=<file.json>`;

/**
 * What the check does with one business action.
 * @param {any} doc
 * @param {Action} action
 * @param {{ allowPush: boolean, inputs: Map<string, unknown>, documented: Set<string>, listed: Set<string> }} options
 * @returns {Step}
 */
function planAction(doc, action, { allowPush, inputs, documented, listed }) {
  const effect = effectOf(action.kind);
  if (effect === 'write') return { action, send: 'never', reason: 'writes' };
  if (effect === 'push' && !allowPush) return { action, send: 'never', reason: 'pushes run only with --allow-push' };
  if (inputs.has(action.name)) {
    const input = inputs.get(action.name);
    const places = idPlaces(input, documented);
    if (places.length)
      return {
        action,
        send: 'never',
        reason: `its input carries a documented example id at ${places.map((p) => pointerOf(p.path)).join(', ')}: the vendor's example ids are never sent to a tenant`,
      };
    return { action, send: 'body', input };
  }
  const template = requestTemplate(doc, action);
  if (!isObject(template)) return { action, send: 'never', reason: `needs a body (${inputHint(action)})` };
  const places = idPlaces(template, documented);
  if (places.length === 0) return { action, send: 'body', input: template };
  const pointers = places.map((p) => pointerOf(p.path)).join(', ');
  // One bill's id in every place (the example repeats it: `entryPk` and `billdata.id`), of a form a query lists.
  const oneBill = new Set(places.map((p) => p.id)).size === 1;
  if (oneBill && action.from && listed.has(action.from)) return { action, send: 'derived', template, places, form: action.from };
  const what = action.from
    ? oneBill
      ? `an id of a ${action.from} bill at ${pointers}: no query of the spec lists ${action.from} bills`
      : `the ids at ${pointers} (of a ${action.from} bill and its entries)`
    : `the ids at ${pointers}: the spec names no query that lists them`;
  return { action, send: 'never', reason: `needs ${what} (${inputHint(action)})` };
}

/**
 * The run's steps, in the order they are taken: the Kingdee flow's calls, then queries (so their answers can
 * supply ids), then pushes.
 * @param {any} doc the bundle
 * @param {{ allowPush: boolean, inputs: Map<string, unknown>, flow: 'token' | 'kingdee' }} options
 * @returns {Step[]}
 */
export function planActions(doc, { allowPush, inputs, flow }) {
  const actions = listActions(doc);
  const documented = exampleIds(doc);
  const listed = new Set(actions.map(listedForm).filter((form) => form !== undefined));
  /** @type {Step[]} */
  const steps = actions.map((action) => {
    if (!action.signed) return planAction(doc, action, { allowPush, inputs, documented, listed });
    if (flow === 'kingdee') return { action, send: /** @type {const} */ ('credentials') };
    return {
      action,
      send: /** @type {const} */ ('never'),
      reason: "needs the app's credentials: QZZ_CLIENT_ID, QZZ_CLIENT_SECRET and QZZ_OUTER_INSTANCE_ID (the Kingdee flow)",
    };
  });
  const rank = (/** @type {Step} */ step) =>
    step.send === 'credentials' ? 0 : listedForm(step.action) ? 1 : step.action.kind === 'query' ? 2 : 3;
  return steps.toSorted((a, b) => rank(a) - rank(b));
}

/** The client's function for an action, when the client has it (`client.<module>.<action>`). */
export function clientFunction(/** @type {any} */ client, /** @type {Action} */ action) {
  const fn = action.tag ? client[moduleKey(action.tag)]?.[action.name] : undefined;
  return typeof fn === 'function' ? fn : undefined;
}
