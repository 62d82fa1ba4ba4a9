// Personal data in the vendor's examples, and how we mask it wherever we publish (spec, docs, mock answers,
// fixtures): same shape, still valid, obviously masked. The rules (docs/spec-layout.md):
//   mobile number      keep the first 3 and last 4 digits        13800138000 → 138****8000 (also inside u13800138000)
//   person's name      keep the family name, * for each other    王二小 → 王**
//   employee code      keep the letter prefix, * for each digit  AB01234 → AB*****
//   address            keep the province, * for each other       浙江省杭州市西湖区 → 浙江省******

/** An unmasked Chinese mobile number, anywhere in a text. */
export const MOBILE = /(?<![0-9])1[3-9][0-9]{9}(?![0-9])/g;

/** `text` with every mobile number in it masked. */
export const maskMobiles = (text) => text.replace(/(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])/g, '$1****$2');

// Fields that name or identify a person (the creator, picker, applicant, …), by their wire name.
const PERSON = /(creator|picker|applicant|responsibleman|auditor|modifier|emp|user|receivingclerk|contacts)/;

/**
 * The kind of personal data a field carries, judged by its wire name; undefined when none.
 * @param {string} key
 * @returns {'mobile' | 'address' | 'name' | 'code' | undefined}
 */
export function personalKind(key) {
  if (/phone|mobile/.test(key)) return 'mobile';
  if (/addr/.test(key)) return 'address';
  if (PERSON.test(key) && /(name|contacts)$/.test(key)) return 'name';
  if (PERSON.test(key) && /number$/.test(key)) return 'code';
  return undefined;
}

/**
 * `value` masked as its kind demands.
 * @param {'mobile' | 'address' | 'name' | 'code'} kind
 * @param {string} value
 */
export function mask(kind, value) {
  const chars = [...value];
  const stars = (n) => '*'.repeat(Math.max(n, 0));
  if (kind === 'name') return chars.length > 1 ? chars[0] + stars(chars.length - 1) : value;
  if (kind === 'address') {
    const head = value.match(/^.*?(省|自治区|市)/)?.[0] ?? chars.slice(0, 2).join('');
    return head + stars(chars.length - [...head].length);
  }
  if (kind === 'code' && !new RegExp(MOBILE.source).test(value)) return value.replace(/[0-9]/g, '*');
  return maskMobiles(value);
}

/**
 * Every personal value of a vendor example, whole or cut off mid-JSON, with its masked form: the string
 * values of fields that carry personal data, and any mobile number anywhere. Longest first, so a value that
 * holds another is replaced whole.
 * @param {string | null | undefined} text
 * @returns {[string, string][]}
 */
export function personalValues(text) {
  const pairs = new Map();
  for (const [, key, raw] of (text ?? '').matchAll(/"([^"\\]+)"\s*:\s*"((?:[^"\\]|\\.)*)"/g)) {
    const kind = personalKind(key);
    const value = JSON.parse(`"${raw}"`);
    if (kind && value.trim() !== '') pairs.set(value, mask(kind, value));
  }
  for (const [number] of (text ?? '').matchAll(MOBILE)) pairs.set(number, maskMobiles(number));
  return [...pairs].filter(([value, masked]) => value !== masked).sort(([a], [b]) => b.length - a.length);
}

/** A vendor example's text with every personal value masked (see personalValues). */
export function maskText(text) {
  let out = text;
  for (const [value, masked] of personalValues(text)) out = out.replaceAll(value, masked);
  return maskMobiles(out);
}
