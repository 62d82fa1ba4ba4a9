// The stateful sandbox (`--sandbox`): what a client saves stays in the mock, per account set, and pushes,
// audits and reads answer from it. The server hands it each request Prism has accepted (credentials and
// schema checked); the sandbox writes the answer.
import { readFile } from 'node:fs/promises';
import { Refusal } from '@qzz/http';
import { isObject } from '@qzz/spec/actions';
import { schemaValidator } from '@qzz/spec/validate';
import { loadState, stateWriter } from './persistence.js';
import { sandboxRules } from './rules.js';
import { createStore, LimitReached, MAX_ACCOUNT_SETS, MAX_BILLS_PER_ACCOUNT_SET } from './store.js';

export { MAX_ACCOUNT_SETS, MAX_BILLS_PER_ACCOUNT_SET };

/** @typedef {import('./rules.js').Bill} Bill */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

/** The answer header that tells the sandbox's answers apart: `own-answer` where the shape is not the vendor's documented one. */
const SANDBOX_HEADER = 'x-qzz-sandbox';
const OWN = 'own-answer';
const FROM_STATE = 'from-state';

/** The caller's account set: its `groupName` and `accountid` headers. */
const accountSetOf = (headers) => ({ groupName: String(headers.groupname), accountid: String(headers.accountid) });

/** The state file could not be written: the change is not kept, and the caller is told so. */
const unwritable = (res, error) =>
  sendJson(res, 503, {
    errcode: 503,
    description: `The sandbox could not write its state file, so the change is not kept: ${error.message}`,
  });

function sendJson(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

/** A business failure as the vendor answers one (HTTP 200, `success: false`); `message` is the sandbox's own field. */
const failure = (message) => ({ success: false, message });

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

/**
 * Creates the sandbox for a bundle.
 * @param {{ doc: any, state?: string, seed?: string, maxAccountSets?: number, maxBillsPerAccountSet?: number }} options
 *   `state`: the state file; `seed`: a seed file; the limits (see the README) default to `MAX_ACCOUNT_SETS` and
 *   `MAX_BILLS_PER_ACCOUNT_SET`
 */
export async function createSandbox({ doc, state, seed, maxAccountSets, maxBillsPerAccountSet }) {
  const rules = sandboxRules(doc);
  const seeded = seed ? await loadSeed(seed, doc) : [];
  const seededIds = new Set(seeded.map((b) => b.id));
  const initial = [...rules.exampleBills.filter((b) => !seededIds.has(b.id)), ...seeded];
  const store = createStore({
    initialBills: () => structuredClone(initial),
    prefixOf: rules.prefixOf,
    maxAccountSets,
    maxBillsPerAccountSet,
  });
  let writer;
  if (state) {
    const loaded = await loadState(state);
    if (loaded) store.restore(loaded);
    writer = stateWriter(state, store.snapshot);
  }
  /** @type {WeakMap<Bill, Map<string, string>>} the answer text of each push from a held bill, by action */
  const draftsOf = new WeakMap();
  /** Resolves once the change just made is on disk (at once without a state file). */
  const persist = () => writer?.commit();

  /**
   * Sends the answer of a request Prism accepted for `action`, from the caller's account set. False when no
   * bill is involved (the gateway's own calls): then the stateless answer (`output`, Prism's) stands.
   * @returns {Promise<boolean>}
   */
  async function answer(res, { action, body, headers, output }) {
    const rule = rules.actions.get(action.name);
    const plan = rules.planOf(rule, body);
    if (plan.do === 'stateless') return false;
    await respond(res, accountSetOf(headers), rule, plan, output);
    return true;
  }

  async function respond(res, name, rule, plan, output) {
    const own = { 'x-qzz-action': rule.name, [SANDBOX_HEADER]: OWN };
    const fromState = { 'x-qzz-action': rule.name, [SANDBOX_HEADER]: FROM_STATE };
    const noSuchBill = (what) => sendJson(res, 200, failure(`The sandbox holds no such bill: ${what} in this account set.`), own);
    const statelessData = isObject(output.body) ? output.body.data : undefined;

    switch (plan.do) {
      case 'save': {
        let bill;
        try {
          bill = store.save(name, plan);
        } catch (error) {
          if (error instanceof LimitReached) return sendJson(res, 200, failure(error.message), own);
          throw error;
        }
        try {
          await persist();
        } catch (error) {
          // Nothing is answered as saved unless it is on disk.
          store.unsave(name, bill.id);
          return unwritable(res, error);
        }
        return sendJson(res, 200, rules.success(rule, bill.data), own);
      }
      case 'audit': {
        if (typeof plan.id !== 'string' || plan.id === '' || plan.id === '0')
          return noSuchBill('the request names no bill id (billdata.id)');
        const bill = store.get(name, plan.id);
        if (!bill) return noSuchBill(`no bill with id ${plan.id}`);
        // No vendor example shows what an audit changes, so it changes nothing.
        return sendJson(res, 200, rules.success(rule, bill.data ?? { id: bill.id, billno: bill.billno }), own);
      }
      case 'push': {
        const source = typeof plan.id === 'string' ? store.get(name, plan.id) : undefined;
        if (!source || (source.form && rule.from && source.form !== rule.from)) {
          return noSuchBill(`no ${rule.from ? `${rule.from} ` : ''}bill with id ${plan.id} to push from`);
        }
        // A held bill never changes (a save makes a new one), so its draft for an action is built once.
        let drafts = draftsOf.get(source);
        if (!drafts) {
          drafts = new Map();
          draftsOf.set(source, drafts);
        }
        if (!drafts.has(rule.name)) drafts.set(rule.name, JSON.stringify(rules.success(rule, rules.draftOf(rule, source, statelessData))));
        return sendJson(res, 200, drafts.get(rule.name), fromState);
      }
      case 'get': {
        const bill = typeof plan.id === 'string' ? store.get(name, plan.id) : undefined;
        // A bill of the read's kind: one answered by its schema, or (a saved bill) one of its form.
        const sameKind = bill && ((bill.schema !== null && bill.schema === plan.schema) || (bill.form !== null && bill.form === plan.form));
        if (!sameKind) return noSuchBill(`no ${plan.schema}${plan.form ? ` (form ${plan.form})` : ''} with id ${plan.id}`);
        // A bill the examples name but never show is answered as the stateless mock answers, under its id.
        const data =
          bill.data ?? (isObject(statelessData) ? { ...statelessData, ...('id' in statelessData ? { id: bill.id } : {}) } : statelessData);
        if (bill.schema === plan.schema) return sendJson(res, 200, rules.success(rule, data), fromState);
        // A bill of the form saved through another schema: only the fields that fit the read's schema.
        const fitting = rules.fitted(rule, data);
        if (fitting === undefined)
          return sendJson(
            res,
            200,
            failure(`The sandbox holds bill ${bill.id} of form ${bill.form}, but its fields cannot answer ${plan.schema}.`),
            own,
          );
        return sendJson(res, 200, rules.success(rule, fitting), fromState);
      }
      default:
        return sendJson(
          res,
          200,
          rules.success(
            rule,
            store.list(name, plan.form).map((b) => b.data ?? { id: b.id, billno: b.billno }),
          ),
          own,
        );
    }
  }

  /**
   * `POST /__sandbox/reset` and `GET /__sandbox/bills`, on the caller's account set (the server has checked its
   * credentials).
   */
  async function control(res, { method, path, headers }) {
    const routes = { '/__sandbox/reset': 'post', '/__sandbox/bills': 'get' };
    if (!(path in routes)) throw new Refusal(404, `No sandbox route ${path}: there are POST /__sandbox/reset and GET /__sandbox/bills.`);
    if (method !== routes[path])
      throw new Refusal(405, `${path} takes ${routes[path].toUpperCase()}.`, { allow: routes[path].toUpperCase() });
    if (path === '/__sandbox/reset') {
      const count = store.reset(accountSetOf(headers));
      try {
        await persist();
      } catch (error) {
        return unwritable(res, error);
      }
      return sendJson(res, 200, { reset: true, bills: count });
    }
    return sendJson(res, 200, { bills: store.list(accountSetOf(headers)) });
  }

  return {
    answer,
    control,
    /** Resolves once every change is on disk. */
    close: async () => {
      await writer?.settled();
    },
  };
}
