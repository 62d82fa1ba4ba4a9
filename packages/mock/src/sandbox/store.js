// The sandbox's bills, one set per account set (`groupName` + `accountid`): developers sharing one sandbox
// never see each other's bills. An account set starts out holding the bills the vendor's examples show (and
// those of `--seed`). It is stored only once it saves a bill: reads of an account set that has saved nothing
// answer from one shared copy of the starting bills, so credentials nobody saves with cost no memory.
import { BILLNO_SHAPE } from './rules.js';

/** @typedef {import('./rules.js').Bill} Bill */
/** @typedef {{ groupName: string, accountid: string }} AccountSetName */
/** @typedef {{ name: AccountSetName, bills: Map<string, Bill>, saved: number }} AccountSet `saved`: how many of its bills were saved (not starting ones) */

/** The most account sets the sandbox stores (the default of `maxAccountSets`). */
export const MAX_ACCOUNT_SETS = 1000;
/** The most bills one account set saves, its starting bills not counted (the default of `maxBillsPerAccountSet`). */
export const MAX_BILLS_PER_ACCOUNT_SET = 10000;

/** A save the sandbox refuses because one of its limits is reached: answered as a business failure. */
export class LimitReached extends Error {}

const keyOf = ({ groupName, accountid }) => JSON.stringify([groupName, accountid]);

/** A new 19-digit id shaped like the vendor's: a millisecond time stamp shifted left 22 bits, then counted up. */
function idFactory() {
  let last = 0n;
  return {
    next() {
      const now = BigInt(Date.now()) << 22n;
      last = now > last ? now : last + 1n;
      return String(last);
    },
    /** Ids already handed out (a loaded state file) are never handed out again. */
    seen(id) {
      if (/^[0-9]{1,19}$/.test(id) && BigInt(id) > last) last = BigInt(id);
    },
  };
}

/** `yyyyMMdd` of a date, in UTC. */
const day = (date) => date.toISOString().slice(0, 10).replaceAll('-', '');

/**
 * @param {{ initialBills: () => Bill[], prefixOf: (form: string | null) => string, maxAccountSets?: number, maxBillsPerAccountSet?: number }} options
 *   `initialBills` gives a fresh copy of the bills every account set starts with.
 */
export function createStore({
  initialBills,
  prefixOf,
  maxAccountSets = MAX_ACCOUNT_SETS,
  maxBillsPerAccountSet = MAX_BILLS_PER_ACCOUNT_SET,
}) {
  /** @type {Map<string, AccountSet>} the account sets that have saved a bill */
  const sets = new Map();
  const ids = idFactory();
  /** @type {Map<string, Bill>} the starting bills, shared by every account set not stored: never changed */
  const starting = new Map(initialBills().map((bill) => [bill.id, bill]));
  for (const id of starting.keys()) ids.seen(id);

  /** The bills an account set holds, stored or not. @param {AccountSetName} name */
  const held = (name) => sets.get(keyOf(name))?.bills ?? starting;

  /** The caller's stored account set, stored now if it is not yet (within the limit). @param {AccountSetName} name */
  function storedSet(name) {
    const key = keyOf(name);
    const set = sets.get(key);
    if (set) return set;
    if (sets.size >= maxAccountSets)
      throw new LimitReached(
        `The sandbox stores at most ${maxAccountSets} account sets (its account-set limit) and holds that many, so this account set cannot save a bill. A reset (POST /__sandbox/reset) of an account set frees its place; so does a restart without a state file.`,
      );
    const fresh = {
      name: { groupName: name.groupName, accountid: name.accountid },
      bills: new Map(initialBills().map((b) => [b.id, b])),
      saved: 0,
    };
    sets.set(key, fresh);
    return fresh;
  }

  /** The next bill number of `form` in `set`: its prefix, today, one past the highest sequence held for both. */
  function nextBillno(set, form) {
    const prefix = prefixOf(form);
    const today = day(new Date());
    let highest = 0;
    for (const bill of set.bills.values()) {
      const match = BILLNO_SHAPE.exec(bill.billno);
      if (match && match[1] === prefix && match[2] === today) highest = Math.max(highest, Number(match[3]));
    }
    return `${prefix}-${today}-${String(highest + 1).padStart(4, '0')}`;
  }

  return {
    /**
     * Stores a new bill in the caller's account set: the example's fields, then the request's, under a new id,
     * with the request's bill number or a new one. Throws `LimitReached` past a limit.
     */
    save(name, { form, bill, example }) {
      const existing = sets.get(keyOf(name));
      if (existing && existing.saved >= maxBillsPerAccountSet)
        throw new LimitReached(
          `This account set has saved ${maxBillsPerAccountSet} bills, the most the sandbox keeps per account set (its bill limit). A reset (POST /__sandbox/reset) empties it.`,
        );
      const set = existing ?? storedSet(name);
      const id = ids.next();
      const billno = typeof bill.billno === 'string' && bill.billno !== '' ? bill.billno : nextBillno(set, form);
      /** @type {Bill} */
      const stored = { id, billno, form, schema: null, data: { ...structuredClone(example), ...structuredClone(bill), id, billno } };
      set.bills.set(id, stored);
      set.saved += 1;
      return stored;
    },
    /** Takes back a bill just saved (its change could not be written); an account set left with only its starting bills is no longer stored. */
    unsave(name, id) {
      const key = keyOf(name);
      const set = sets.get(key);
      if (!set?.bills.delete(id)) return;
      set.saved -= 1;
      if (set.saved === 0) sets.delete(key);
    },
    /** @returns {Bill | undefined} */
    get: (name, id) => held(name).get(id),
    list: (name, form) => [...held(name).values()].filter((b) => form === undefined || b.form === form),
    /** Back to the bills every account set starts with; returns how many that is. */
    reset(name) {
      sets.delete(keyOf(name));
      return starting.size;
    },
    /** Every account set used so far, as plain data (the state file's content). */
    snapshot: () => [...sets.values()].map((set) => ({ ...set.name, bills: [...set.bills.values()] })),
    /** Replaces the state with a snapshot's. */
    restore(snapshot) {
      sets.clear();
      for (const { groupName, accountid, bills } of snapshot) {
        for (const bill of bills) ids.seen(bill.id);
        const saved = bills.filter((b) => !starting.has(b.id)).length;
        sets.set(keyOf({ groupName, accountid }), { name: { groupName, accountid }, bills: new Map(bills.map((b) => [b.id, b])), saved });
      }
    },
  };
}
