// The sandbox's bills, one set per account set (`groupName` + `accountid`): developers sharing one sandbox
// never see each other's bills. An account set starts out holding the bills the vendor's examples show (and
// those of `--seed`); it is created the first time it is used.
import { BILLNO_SHAPE } from './rules.js';

/** @typedef {import('./rules.js').Bill} Bill */
/** @typedef {{ groupName: string, accountid: string }} AccountSetName */
/** @typedef {{ name: AccountSetName, bills: Map<string, Bill> }} AccountSet */

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
 * @param {{ initialBills: () => Bill[], prefixOf: (form: string | null) => string }} options
 *   `initialBills` gives a fresh copy of the bills every account set starts with.
 */
export function createStore({ initialBills, prefixOf }) {
  /** @type {Map<string, AccountSet>} */
  const sets = new Map();
  const ids = idFactory();

  function fresh(name) {
    const bills = new Map(initialBills().map((bill) => [bill.id, bill]));
    for (const id of bills.keys()) ids.seen(id);
    return { name, bills };
  }

  /** @param {AccountSetName} name */
  function accountSet(name) {
    const key = keyOf(name);
    if (!sets.has(key)) sets.set(key, fresh({ groupName: name.groupName, accountid: name.accountid }));
    return /** @type {AccountSet} */ (sets.get(key));
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
    accountSet,
    /**
     * Stores a new bill in the caller's account set: the example's fields, then the request's, under a new id,
     * with the request's bill number or a new one.
     */
    save(name, { form, bill, example }) {
      const set = accountSet(name);
      const id = ids.next();
      const billno = typeof bill.billno === 'string' && bill.billno !== '' ? bill.billno : nextBillno(set, form);
      /** @type {Bill} */
      const stored = { id, billno, form, schema: null, data: { ...structuredClone(example), ...structuredClone(bill), id, billno } };
      set.bills.set(id, stored);
      return stored;
    },
    /** @returns {Bill | undefined} */
    get: (name, id) => accountSet(name).bills.get(id),
    list: (name, form) => [...accountSet(name).bills.values()].filter((b) => form === undefined || b.form === form),
    /** Back to the bills every account set starts with. */
    reset(name) {
      sets.delete(keyOf(name));
      return accountSet(name);
    },
    /** Every account set used so far, as plain data (the state file's content). */
    snapshot: () => [...sets.values()].map((set) => ({ ...set.name, bills: [...set.bills.values()] })),
    /** Replaces the state with a snapshot's. */
    restore(snapshot) {
      sets.clear();
      for (const { groupName, accountid, bills } of snapshot) {
        for (const bill of bills) ids.seen(bill.id);
        sets.set(keyOf({ groupName, accountid }), { name: { groupName, accountid }, bills: new Map(bills.map((b) => [b.id, b])) });
      }
    },
  };
}
