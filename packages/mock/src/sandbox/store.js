// The sandbox's bills, one set per account set (`groupName` + `accountid`): developers sharing one sandbox
// never see each other's bills. Every account set starts out holding the starting bills (the vendor's examples'
// and those of `--seed`): one shared copy, never changed. An account set is stored only once it saves a bill,
// and then holds its saved bills beside the starting ones, each as the bytes of its state-file record
// (records.js). What one account set may hold is bounded in bills and in bytes, so that what any credentials can
// make the sandbox keep fits the memory the README gives it.
import { dataOf, keyOf, saveRecord } from './records.js';
import { BILLNO_SHAPE } from './rules.js';

/** @typedef {import('./rules.js').Bill} Bill */
/** @typedef {import('./records.js').AccountSetName} AccountSetName */
/** @typedef {import('./records.js').StateRecord} StateRecord */
/** @typedef {{ id: string, billno: string, form: string | null, schema: string | null, line: Buffer }} SavedBill a saved bill: its record's line holds its fields */
/** @typedef {{ name: AccountSetName, saved: Map<string, SavedBill>, bytes: number }} AccountSet `bytes`: what it costs against its byte budget */

/** The most account sets the sandbox stores (the default of `maxAccountSets`). */
export const MAX_ACCOUNT_SETS = 1000;
/** The most bills one account set saves, its starting bills not counted (the default of `maxBillsPerAccountSet`). */
export const MAX_BILLS_PER_ACCOUNT_SET = 10000;
/**
 * The most bytes one account set's saved bills cost (the default of `maxBytesPerAccountSet`). With the default
 * account-set limit: 1,000 × 256 KiB = 250 MiB at most, within the 512 MiB heap the README recommends (see there).
 */
export const MAX_BYTES_PER_ACCOUNT_SET = 256 * 1024;
/**
 * What a held bill costs beyond the bytes of its record: the memory of its entry (about 380 bytes of heap on
 * Node 20: the map entry, the id and bill number, the buffer object), rounded up. A stored account set costs as
 * much again, plus its name.
 */
const HELD_BILL_OVERHEAD = 512;
/** The largest id the sandbox gives a bill: the largest signed 64-bit integer (19 digits). */
const LARGEST_ID = 2n ** 63n - 1n;

/** A save the sandbox refuses because one of its limits is reached: answered as a business failure. */
export class LimitReached extends Error {}

const RESET_FREES = 'A reset (POST /__sandbox/reset) empties it.';

/** New 19-digit ids shaped like the vendor's: a millisecond time stamp shifted left 22 bits, then counted up. */
function idFactory() {
  let last = 0n;
  return {
    next() {
      const now = BigInt(Date.now()) << 22n;
      const id = now > last ? now : last + 1n;
      if (id > LARGEST_ID)
        throw new LimitReached(
          `The sandbox has no bill id left to give: its ids count up from the clock or from the highest id it holds (${last}), and stop at ${LARGEST_ID}, the largest 19-digit id a signed 64-bit integer holds. A --seed or --state file without ids this high frees them.`,
        );
      last = id;
      return String(id);
    },
    /** Ids already held (starting bills, a loaded state file) are never given again; those past the ceiling never could be. */
    seen(id) {
      if (!/^[0-9]{1,19}$/.test(id)) return;
      const value = BigInt(id);
      if (value > last && value <= LARGEST_ID) last = value;
    },
  };
}

/** `yyyyMMdd` of a date, in UTC. */
const day = (date) => date.toISOString().slice(0, 10).replaceAll('-', '');

/** What a saved bill's record costs against the byte budget. */
const costOf = (/** @type {Buffer} */ line) => line.length + HELD_BILL_OVERHEAD;
/** What an account set costs before it saves anything. */
const baseCostOf = (/** @type {AccountSetName} */ name) => Buffer.byteLength(keyOf(name)) + HELD_BILL_OVERHEAD;
/** The bytes of an account set's records in the state file. */
const recordBytesOf = (/** @type {AccountSet} */ set) => [...set.saved.values()].reduce((sum, bill) => sum + bill.line.length, 0);

/** A saved bill with its fields read from its record. @param {SavedBill} saved @returns {Bill} */
const asBill = ({ id, billno, form, schema, line }) => ({ id, billno, form, schema, data: dataOf(line) });

/** Refuses a save that a limit stops, before anything is held. @param {AccountSet | undefined} set */
function checkRoom(set, storedSets, { maxAccountSets, maxBillsPerAccountSet }) {
  if (set && set.saved.size >= maxBillsPerAccountSet)
    throw new LimitReached(
      `This account set has saved ${maxBillsPerAccountSet} bills, the most the sandbox keeps per account set (its bill limit). ${RESET_FREES}`,
    );
  if (!set && storedSets >= maxAccountSets)
    throw new LimitReached(
      `The sandbox stores at most ${maxAccountSets} account sets (its account-set limit) and holds that many, so this account set cannot save a bill. A reset (POST /__sandbox/reset) of an account set frees its place; so does a restart without a state file.`,
    );
}

/** Refuses a record the account set's byte budget has no room for. @param {number} used @param {Buffer} line */
function checkBudget(used, line, { maxBytesPerAccountSet }) {
  if (used + costOf(line) > maxBytesPerAccountSet)
    throw new LimitReached(
      `This bill takes ${costOf(line)} bytes and this account set holds ${used} of the ${maxBytesPerAccountSet} bytes the sandbox keeps per account set (its byte budget), so it is not saved. ${RESET_FREES}`,
    );
}

/**
 * The next bill number of `form`: its prefix, today, one past the highest sequence of both among `held`.
 * @param {Iterable<{ billno: string }>} held
 */
function nextBillno(held, prefix) {
  const today = day(new Date());
  let highest = 0;
  for (const bill of held) {
    const match = BILLNO_SHAPE.exec(bill.billno);
    if (match && match[1] === prefix && match[2] === today) highest = Math.max(highest, Number(match[3]));
  }
  return `${prefix}-${today}-${String(highest + 1).padStart(4, '0')}`;
}

/** Holds a saved bill in an account set. @param {AccountSet} set @param {SavedBill} saved */
function hold(set, saved) {
  set.saved.set(saved.id, saved);
  set.bytes += costOf(saved.line);
}

/** The bills of every account set, within the limits. */
export class BillStore {
  /** @type {Map<string, AccountSet>} the account sets that have saved a bill */
  #sets = new Map();
  #ids = idFactory();
  /** @type {Map<string, Bill>} the starting bills, shared by every account set: never changed */
  #starting;
  #prefixOf;
  #limits;

  /**
   * @param {{ startingBills: Bill[], prefixOf: (form: string | null) => string, maxAccountSets?: number, maxBillsPerAccountSet?: number, maxBytesPerAccountSet?: number }} options
   */
  constructor({
    startingBills,
    prefixOf,
    maxAccountSets = MAX_ACCOUNT_SETS,
    maxBillsPerAccountSet = MAX_BILLS_PER_ACCOUNT_SET,
    maxBytesPerAccountSet = MAX_BYTES_PER_ACCOUNT_SET,
  }) {
    this.#starting = new Map(startingBills.map((bill) => [bill.id, bill]));
    for (const id of this.#starting.keys()) this.#ids.seen(id);
    this.#prefixOf = prefixOf;
    this.#limits = { maxAccountSets, maxBillsPerAccountSet, maxBytesPerAccountSet };
  }

  /** @param {string} key @param {AccountSetName} name @returns {AccountSet} */
  #storeSet(key, name) {
    const set = { name: { groupName: name.groupName, accountid: name.accountid }, saved: new Map(), bytes: baseCostOf(name) };
    this.#sets.set(key, set);
    return set;
  }

  /**
   * Holds a new bill in the caller's account set: the example's fields, then the request's, under a new id, with
   * the request's bill number or a new one. Throws `LimitReached` past a limit.
   * @param {AccountSetName} name
   * @returns {{ bill: Bill, line: Buffer }} the bill, and its record for the state file
   */
  save(name, { form, bill, example }) {
    const key = keyOf(name);
    const set = this.#sets.get(key);
    checkRoom(set, this.#sets.size, this.#limits);
    const id = this.#ids.next();
    const billno =
      typeof bill.billno === 'string' && bill.billno !== ''
        ? bill.billno
        : nextBillno([...this.#starting.values(), ...(set?.saved.values() ?? [])], this.#prefixOf(form));
    /** @type {Bill} */
    const saved = { id, billno, form, schema: null, data: { ...example, ...bill, id, billno } };
    const line = saveRecord(name, saved);
    checkBudget(set?.bytes ?? baseCostOf(name), line, this.#limits);
    hold(set ?? this.#storeSet(key, name), { id, billno, form, schema: null, line });
    return { bill: saved, line };
  }

  /**
   * Takes back a bill just saved (its record could not be written; the state log undoes every later change first);
   * an account set left with no saved bill is no longer stored.
   */
  unsave(name, id) {
    const key = keyOf(name);
    const set = this.#sets.get(key);
    const saved = set?.saved.get(id);
    if (!set || !saved) return;
    set.saved.delete(id);
    set.bytes -= costOf(saved.line);
    if (set.saved.size === 0) this.#sets.delete(key);
  }

  /** @returns {Bill | undefined} */
  get(name, id) {
    const saved = this.#sets.get(keyOf(name))?.saved.get(id);
    return saved ? asBill(saved) : this.#starting.get(id);
  }

  /** The bills an account set holds (of `form`, when given): the starting ones, then those it saved. */
  list(name, form) {
    const ofForm = (/** @type {{ form: string | null }} */ b) => form === undefined || b.form === form;
    const saved = [...(this.#sets.get(keyOf(name))?.saved.values() ?? [])];
    return [...[...this.#starting.values()].filter(ofForm), ...saved.filter(ofForm).map(asBill)];
  }

  /**
   * Back to the starting bills: how many that is, the account set removed (to put back if the reset cannot be
   * written) and the bytes of its records.
   * @param {AccountSetName} name
   * @returns {{ count: number, removed: AccountSet | undefined, freed: number }}
   */
  reset(name) {
    const key = keyOf(name);
    const removed = this.#sets.get(key);
    this.#sets.delete(key);
    return { count: this.#starting.size, removed, freed: removed ? recordBytesOf(removed) : 0 };
  }

  /**
   * Undoes a reset whose record could not be written: its bills come back. The state log undoes every later change
   * first, so the account set is not stored meanwhile.
   * @param {AccountSet} removed
   */
  putBack(removed) {
    this.#sets.set(keyOf(removed.name), removed);
  }

  /**
   * Applies a record of the state file, limits aside (an account set in the file is loaded even past them).
   * Returns the bytes of earlier records it leaves dead.
   * @param {StateRecord} record
   */
  load(record) {
    if ('reset' in record) return this.reset(record.reset).freed;
    const { id, billno, form, schema } = record.bill;
    this.#ids.seen(id);
    // A version-1 file holds each account set's starting bills as well: they are the starting ones.
    if (this.#starting.has(id)) return record.line.length;
    const key = keyOf(record.save);
    const set = this.#sets.get(key) ?? this.#storeSet(key, record.save);
    const previous = set.saved.get(id);
    if (previous) set.bytes -= costOf(previous.line);
    hold(set, { id, billno, form, schema, line: record.line });
    return previous ? previous.line.length : 0;
  }

  /** The records of every saved bill held: what a rewrite of the state file writes. */
  records() {
    return [...this.#sets.values()].flatMap((set) => [...set.saved.values()].map((saved) => saved.line));
  }
}
