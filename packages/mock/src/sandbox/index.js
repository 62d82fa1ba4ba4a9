// The stateful sandbox (`--sandbox`): what a client saves stays in the mock, per account set, and pushes,
// audits and reads answer from it. The mock's core hands it each request Prism has accepted (credentials and
// schema checked); the sandbox gives the answer (the core's MockAnswer), whatever transport sends it.
import { readFile } from 'node:fs/promises';
import { KIT_HEADERS, Refusal } from '@qzz/http';
import { isObject } from '@qzz/spec/actions';
import { schemaValidator } from '@qzz/spec/validate';
import { jsonAnswer } from '../answer.js';
import { StateLog } from './persistence.js';
import { resetRecord } from './records.js';
import { sandboxRules } from './rules.js';
import { BillStore, LimitReached, MAX_ACCOUNT_SETS, MAX_BILLS_PER_ACCOUNT_SET, MAX_BYTES_PER_ACCOUNT_SET } from './store.js';

export { MAX_ACCOUNT_SETS, MAX_BILLS_PER_ACCOUNT_SET, MAX_BYTES_PER_ACCOUNT_SET };

/** @typedef {import('./rules.js').Bill} Bill */
/** @typedef {import('./records.js').AccountSetName} AccountSetName */
/**
 * What every answer of one sandbox works with.
 * @typedef {{
 *   rules: ReturnType<typeof sandboxRules>,
 *   store: BillStore,
 *   log: StateLog | undefined,
 *   drafts: WeakMap<Bill, Map<string, string>>,
 * }} Sandbox
 *   `log`: the state file, if any; `drafts`: the answer text of each push from a bill, by action
 */
/** @typedef {import('../answer.js').MockAnswer} MockAnswer */
/**
 * One accepted request: who asks, for which action, what the sandbox is to do (`planOf` in rules.js), and Prism's
 * stateless answer.
 * @typedef {{ name: AccountSetName, rule: any, plan: any, output: any }} Call
 */

/** The headers of a sandbox answer: its action, and `own-answer` where the shape is not the vendor's documented one. */
const ownAnswer = (rule) => ({ [KIT_HEADERS.action]: rule.name, [KIT_HEADERS.sandbox]: 'own-answer' });
const fromState = (rule) => ({ [KIT_HEADERS.action]: rule.name, [KIT_HEADERS.sandbox]: 'from-state' });

/** The caller's account set: its `groupName` and `accountid` headers. @returns {AccountSetName} */
const accountSetOf = (headers) => ({ groupName: String(headers.groupname), accountid: String(headers.accountid) });

/** The state file could not be written: the change is not kept, and the caller is told so. */
const unwritable = (error) =>
  jsonAnswer(503, {
    errcode: 503,
    description: `The sandbox could not write its state file, so the change is not kept: ${error.message}`,
  });

/** A business failure as the vendor answers one (HTTP 200, `success: false`); `message` is the sandbox's own field. */
const failure = (message) => ({ success: false, message });
const noSuchBill = (/** @type {Call} */ { rule }, what) =>
  jsonAnswer(200, failure(`The sandbox holds no such bill: ${what} in this account set.`), ownAnswer(rule));

/**
 * Reads `--seed <file>`: `{"bills": [{"form"?, "schema"?, "data": {"id", "billno"?, …}}]}`. Every account set
 * starts with these bills beside those of the vendor's examples. A bill naming a `schema` (a component of the
 * bundle, e.g. `SparePartsUseBill`) is what the reads answering that schema return, so it must fit it.
 * @returns {Promise<Bill[]>}
 */
async function loadSeed(path, doc) {
  const refuse = (why) =>
    new Error(
      `The seed file ${path} ${why}. Expected {"bills": [{"form"?: "<form id>", "schema"?: "<component name>", "data": {"id": "<19-digit id>", "billno"?: "…", …}}]}.`,
    );
  let seed;
  try {
    seed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw refuse(error.code ? `cannot be read: ${error.message}` : `is not JSON: ${error.message}`);
  }
  if (!isObject(seed) || !Array.isArray(seed.bills)) throw refuse('has no "bills" list');
  const validator = schemaValidator(doc);
  const ids = new Set();
  return seed.bills.map((entry, i) => {
    const at = `bills[${i}]`;
    if (!isObject(entry) || !isObject(entry.data)) throw refuse(`has no "data" object at ${at}`);
    const { id, billno = '' } = entry.data;
    if (typeof id !== 'string' || !/^-?[0-9]{1,19}$/.test(id) || id === '0')
      throw refuse(`has no bill id (a string of up to 19 digits, not "0") at ${at}.data.id`);
    if (ids.has(id)) throw refuse(`holds id ${id} twice`);
    ids.add(id);
    if (typeof billno !== 'string') throw refuse(`has a billno that is not a string at ${at}`);
    for (const key of ['form', 'schema'])
      if (entry[key] !== undefined && typeof entry[key] !== 'string') throw refuse(`has a ${key} that is not a string at ${at}`);
    if (entry.schema !== undefined) {
      if (!doc.components?.schemas?.[entry.schema]) throw refuse(`names a schema the spec does not have (${entry.schema}) at ${at}`);
      const validate = validator.compile(`#/components/schemas/${entry.schema}`);
      if (!validate(entry.data))
        throw refuse(
          `has data that does not fit ${entry.schema} at ${at}: ${validate.errors?.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`,
        );
    }
    return { id, billno, form: entry.form ?? null, schema: entry.schema ?? null, data: entry.data };
  });
}

/** The bills every account set starts with: the examples' and the seed's (a seed bill replaces an example's of its id). */
async function startingBills(rules, seed, doc) {
  const seeded = seed ? await loadSeed(seed, doc) : [];
  const seededIds = new Set(seeded.map((b) => b.id));
  return [...rules.exampleBills.filter((b) => !seededIds.has(b.id)), ...seeded];
}

/**
 * `save`: a new bill in the caller's account set, answered once its record is on disk.
 * @param {Sandbox} box @param {Call} call @returns {Promise<MockAnswer>}
 */
async function answerSave({ rules, store, log }, { name, rule, plan }) {
  let saved;
  try {
    saved = store.save(name, plan);
  } catch (error) {
    if (error instanceof LimitReached) return jsonAnswer(200, failure(error.message), ownAnswer(rule));
    throw error;
  }
  try {
    // Nothing is answered as saved unless it is on disk: the log takes the bill back when it cannot write it.
    await log?.save(saved.line, () => store.unsave(name, saved.bill.id));
  } catch (error) {
    return unwritable(error);
  }
  return jsonAnswer(200, rules.success(rule, saved.bill.data), ownAnswer(rule));
}

/** `audit`: a held bill, unchanged. @param {Sandbox} box @param {Call} call @returns {MockAnswer} */
function answerAudit({ rules, store }, call) {
  const { name, rule, plan } = call;
  if (typeof plan.id !== 'string' || plan.id === '' || plan.id === '0')
    return noSuchBill(call, 'the request names no bill id (billdata.id)');
  const bill = store.get(name, plan.id);
  if (!bill) return noSuchBill(call, `no bill with id ${plan.id}`);
  // No vendor example shows what an audit changes, so it changes nothing.
  return jsonAnswer(200, rules.success(rule, bill.data ?? { id: bill.id, billno: bill.billno }), ownAnswer(rule));
}

/** `push`: the draft of the action from a held source bill. @param {Sandbox} box @param {Call} call @returns {MockAnswer} */
function answerPush({ rules, store, drafts }, call) {
  const { name, rule, plan, output } = call;
  const source = typeof plan.id === 'string' ? store.get(name, plan.id) : undefined;
  if (!source || (source.form && rule.from && source.form !== rule.from))
    return noSuchBill(call, `no ${rule.from ? `${rule.from} ` : ''}bill with id ${plan.id} to push from`);
  // A starting bill is one object for every account set and never changes, so its draft for an action is built
  // once; a saved bill is read anew from its record, and its draft built each time.
  let byAction = drafts.get(source);
  if (!byAction) {
    byAction = new Map();
    drafts.set(source, byAction);
  }
  if (!byAction.has(rule.name))
    byAction.set(rule.name, JSON.stringify(rules.success(rule, rules.draftOf(rule, source, statelessDataOf(output)))));
  return jsonAnswer(200, byAction.get(rule.name), fromState(rule));
}

/** The `data` of Prism's stateless answer. */
const statelessDataOf = (output) => (isObject(output.body) ? output.body.data : undefined);

/** `get`: a held bill of the read's kind, by id. @param {Sandbox} box @param {Call} call @returns {MockAnswer} */
function answerGet({ rules, store }, call) {
  const { name, rule, plan, output } = call;
  const bill = typeof plan.id === 'string' ? store.get(name, plan.id) : undefined;
  // A bill of the read's kind: one answered by its schema, or (a saved bill) one of its form.
  const sameKind = bill && ((bill.schema !== null && bill.schema === plan.schema) || (bill.form !== null && bill.form === plan.form));
  if (!sameKind) return noSuchBill(call, `no ${plan.schema}${plan.form ? ` (form ${plan.form})` : ''} with id ${plan.id}`);
  // A bill the examples name but never show is answered as the stateless mock answers, under its id.
  const stateless = statelessDataOf(output);
  const data = bill.data ?? (isObject(stateless) ? { ...stateless, ...('id' in stateless ? { id: bill.id } : {}) } : stateless);
  if (bill.schema === plan.schema) return jsonAnswer(200, rules.success(rule, data), fromState(rule));
  // A bill of the form saved through another schema: only the fields that fit the read's schema.
  const fitting = rules.fitted(rule, data);
  if (fitting === undefined)
    return jsonAnswer(
      200,
      failure(`The sandbox holds bill ${bill.id} of form ${bill.form}, but its fields cannot answer ${plan.schema}.`),
      ownAnswer(rule),
    );
  return jsonAnswer(200, rules.success(rule, fitting), fromState(rule));
}

/** `list`: the held bills of a form. @param {Sandbox} box @param {Call} call @returns {MockAnswer} */
function answerList({ rules, store }, { name, rule, plan }) {
  const bills = store.list(name, plan.form).map((b) => b.data ?? { id: b.id, billno: b.billno });
  return jsonAnswer(200, rules.success(rule, bills), ownAnswer(rule));
}

/** Each plan's answer, by what it does. */
const ANSWERS = { save: answerSave, audit: answerAudit, push: answerPush, get: answerGet, list: answerList };

/** `POST /__sandbox/reset`: back to the starting bills, once the reset is on disk. @param {Sandbox} box @returns {Promise<MockAnswer>} */
async function resetAccountSet({ store, log }, name) {
  const { count, removed, freed } = store.reset(name);
  if (removed && log) {
    try {
      await log.reset(resetRecord(name), freed, () => store.putBack(removed));
    } catch (error) {
      return unwritable(error);
    }
  }
  return jsonAnswer(200, { reset: true, bills: count });
}

/** The sandbox's own routes and the method each takes. */
const CONTROL_ROUTES = { '/__sandbox/reset': 'post', '/__sandbox/bills': 'get' };

/**
 * Creates the sandbox for a bundle.
 * @param {{ doc: any, state?: string, seed?: string, maxAccountSets?: number, maxBillsPerAccountSet?: number, maxBytesPerAccountSet?: number }} options
 *   `state`: the state file; `seed`: a seed file; the limits (see the README) default to `MAX_ACCOUNT_SETS`,
 *   `MAX_BILLS_PER_ACCOUNT_SET` and `MAX_BYTES_PER_ACCOUNT_SET`
 */
export async function createSandbox({ doc, state, seed, maxAccountSets, maxBillsPerAccountSet, maxBytesPerAccountSet }) {
  const rules = sandboxRules(doc);
  const store = new BillStore({
    startingBills: await startingBills(rules, seed, doc),
    prefixOf: rules.prefixOf,
    maxAccountSets,
    maxBillsPerAccountSet,
    maxBytesPerAccountSet,
  });
  /** @type {Sandbox} */
  const box = { rules, store, log: state ? await StateLog.open(state, store) : undefined, drafts: new WeakMap() };

  return {
    /**
     * The answer to a request Prism accepted for `action`, from the caller's account set. Undefined when no bill
     * is involved (the gateway's own calls): then the stateless answer (`output`, Prism's) stands.
     * @returns {Promise<MockAnswer | undefined>}
     */
    async answer({ action, body, headers, output }) {
      const rule = rules.actions.get(action.name);
      const plan = rules.planOf(rule, body);
      if (plan.do === 'stateless') return undefined;
      return ANSWERS[plan.do](box, { name: accountSetOf(headers), rule, plan, output });
    },
    /**
     * `POST /__sandbox/reset` and `GET /__sandbox/bills`, on the caller's account set (the server has checked its
     * credentials).
     * @returns {Promise<MockAnswer>}
     */
    async control({ method, path, headers }) {
      if (!(path in CONTROL_ROUTES))
        throw new Refusal(404, `No sandbox route ${path}: there are POST /__sandbox/reset and GET /__sandbox/bills.`);
      const takes = CONTROL_ROUTES[path];
      if (method !== takes) throw new Refusal(405, `${path} takes ${takes.toUpperCase()}.`, { allow: takes.toUpperCase() });
      if (path === '/__sandbox/reset') return resetAccountSet(box, accountSetOf(headers));
      return jsonAnswer(200, { bills: store.list(accountSetOf(headers)) });
    },
    /** Resolves once every change is on disk and the state file is closed. */
    close: async () => {
      await box.log?.close();
    },
  };
}
