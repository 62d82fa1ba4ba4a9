// Personal data in the vendor's examples, and how we mask it wherever we publish (spec, docs, mock answers,
// fixtures, the proxy's captures): same shape, still valid, obviously masked. The rules (docs/spec-layout.md):
//   mobile number      keep the first 3 and last 4 digits        13800138000 → 138****8000 (also inside u13800138000,
//                      in any common writing                     +86 139 1234 5678 → +86 139 **** 5678)
//   resident ID number keep the first 3 and last 4 characters    11010119900307123X → 110***********123X
//   e-mail address     keep the first character and the domain   zhang.wei@corp.cn → z***@corp.cn
//   person's name      keep the family name, * for each other    王二小 → 王**
//   employee code      keep the letter prefix, * for each digit  AB01234 → AB*****
//   address            keep the province, * for each other       浙江省杭州市西湖区 → 浙江省******
// The patterns run on traffic (the proxy masks with them): each is linear in the text it scans — fixed-length
// parts around one anchor, never two quantifiers that can take the same characters (checked with a ReDoS
// checker in packages/proxy/test/linear.test.js).

/**
 * An unmasked Chinese mobile number, anywhere in a text, in any common writing: 13800138000, 138 0013 8000,
 * 138-0013-8000, with +86, 0086 or 86 before it (spaced, dashed or not). Groups: the prefix, the first three
 * digits, the separators and the last four digits, as the mask keeps them.
 */
export const MOBILE = /(?<![0-9])((?:\+|00)?86[ -]?)?(1[3-9][0-9])([ -]?)[0-9]{4}([ -]?)([0-9]{4})(?![0-9])/g;

/** `text` with every mobile number in it masked, in the writing it came in. */
export const maskMobiles = (text) => text.replace(MOBILE, '$1$2$3****$4$5');

/** An 18-character resident ID number: region, a birth date (18xx–20xx), a sequence, a check character (may be X). */
export const RESIDENT_ID =
  /(?<![0-9])([1-9][0-9]{2})[0-9]{3}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])([0-9]{3}[0-9Xx])(?![0-9])/g;

/**
 * An e-mail address. It starts where a run of address characters starts (the look-behind), so a long run without
 * `@` is read once, not once per character: the pattern is linear where the old one was quadratic.
 */
export const EMAIL = /(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g;

/** `text` with every e-mail address, resident ID number and mobile number in it masked. */
export const maskPersonalText = (text) =>
  // Each holds a digit or an `@`: most texts hold neither, and are passed by one scan instead of three.
  /[0-9@]/.test(text) ? maskMobiles(text.replace(EMAIL, '$1***@$2').replace(RESIDENT_ID, '$1***********$2')) : text;

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
  if (kind === 'code' && value.search(MOBILE) === -1) return value.replace(/[0-9]/g, '*');
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

/** A vendor example's text with every personal value masked (see personalValues and maskPersonalText). */
export function maskText(text) {
  let out = text;
  for (const [value, masked] of personalValues(text)) out = out.replaceAll(value, masked);
  return maskPersonalText(out);
}
