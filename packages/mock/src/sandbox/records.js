// A saved bill as the sandbox holds it and the state file keeps it: the bytes of its save record, one line of
// JSON ending in a newline. `{"save": {"groupName", "accountid"}, "bill": {"id", "billno", "form", "schema", "data"}}`;
// a reset is `{"reset": {"groupName", "accountid"}}`. Held as bytes, a bill costs what its record weighs whatever the
// shape of its data: parsed, a body of `[{}, {}, …]` would take about twenty times its size in heap.
import { isObject } from '@qzz/spec/actions';

/** @typedef {import('./rules.js').Bill} Bill */
/** @typedef {{ groupName: string, accountid: string }} AccountSetName */
/** @typedef {{ save: AccountSetName, bill: Bill, line: Buffer } | { reset: AccountSetName, line: Buffer }} StateRecord */

/** The one key of an account set's name. @param {AccountSetName} name */
export const keyOf = ({ groupName, accountid }) => JSON.stringify([groupName, accountid]);

/**
 * `text` as UTF-8 in memory of its own. A small buffer made the usual way is a slice of a pool Node shares, and
 * holding it would hold the whole pool (8 KiB): a held record must cost its own size.
 */
function ownBytes(text) {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

const nameOnly = (/** @type {AccountSetName} */ name) => ({ groupName: name.groupName, accountid: name.accountid });

/** The record of a save: the bill's line. @param {AccountSetName} name @param {Bill} bill */
export const saveRecord = (name, bill) => ownBytes(`${JSON.stringify({ save: nameOnly(name), bill })}\n`);

/** The record of a reset. @param {AccountSetName} name */
export const resetRecord = (name) => ownBytes(`${JSON.stringify({ reset: nameOnly(name) })}\n`);

/** The fields of the bill a save record holds. @param {Buffer} line */
export const dataOf = (line) => JSON.parse(line.toString('utf8')).bill.data;

const isName = (value) => isObject(value) && typeof value.groupName === 'string' && typeof value.accountid === 'string';
const isTextOrNull = (value) => value === null || typeof value === 'string';
/** A bill as a state file holds it: an id, a bill number, its form and schema (or null) and its fields (or null). */
export const isBill = (value) =>
  isObject(value) &&
  typeof value.id === 'string' &&
  typeof value.billno === 'string' &&
  isTextOrNull(value.form ?? null) &&
  isTextOrNull(value.schema ?? null) &&
  (value.data === null || isObject(value.data));

/**
 * The record a line holds, or undefined when it is JSON but neither a save nor a reset. Throws on a line that is
 * not JSON.
 * @param {Buffer} line
 * @returns {StateRecord | undefined}
 */
export function readRecord(line) {
  const value = JSON.parse(line.toString('utf8'));
  if (!isObject(value)) return undefined;
  if (isName(value.save) && isBill(value.bill)) {
    const { id, billno, form = null, schema = null, data } = value.bill;
    return { save: nameOnly(value.save), bill: { id, billno, form, schema, data }, line };
  }
  if (isName(value.reset)) return { reset: nameOnly(value.reset), line };
  return undefined;
}
