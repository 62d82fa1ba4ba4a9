// What the proxy never writes (report, captures, capture file names, console). Secrets go entirely: every value
// an exchange carries as a credential (the access token, `Authorization`, cookies, the gateway's signature
// headers, fields and parameters named like a secret), wherever it shows up again, in every form a secret
// travels in (`@qzz/client/secrets`: raw, percent-, form-, JSON-, base64- and hex-encoded), in values, keys and
// paths. Personal data is masked by the spec's rules (`@qzz/spec/personal`: `138****8000`, `王**`, `AB*****`,
// `浙江省******`, `z***@corp.cn`), on the fields those rules know, on the wider set of person fields below, and
// in any text (mobile numbers in every writing, resident ID numbers, e-mail addresses).
import { secretForms } from '@qzz/client/secrets';
import { isObject } from '@qzz/spec/actions';
import { EMAIL, MOBILE, mask, maskMobiles, maskPersonalText, personalKind, RESIDENT_ID } from '@qzz/spec/personal';
import { escapePointer, parseJson, unescapePointer } from './json.js';
import { createReplacer } from './matcher.js';

export const REDACTED = '[redacted]';

// ── Names that hold a secret ────────────────────────────────────────────────────────────────────────────────

/**
 * Whether a field, query parameter, header or cookie name names a secret, whatever its casing and separators:
 * `*token*`, `*secret*`, `*password*`, `*signature*`, `api_key`, `private_key`, `session*`, `*cookie*`, `sign`,
 * `Authorization` and the gateway's `X-Api-Nonce`.
 * @param {string} name
 */
export function namesSecret(name) {
  return remembered(secretNames, name, judgeName);
}

/** @param {string} name */
function judgeName(name) {
  const word = name.toLowerCase().replace(/[-_.\s]/g, '');
  return (
    ['token', 'secret', 'password', 'passwd', 'signature', 'cookie', 'sessionid'].some((part) => word.includes(part)) ||
    ['apikey', 'privatekey', 'authorization'].some((end) => word.endsWith(end)) ||
    word.startsWith('session') ||
    word === 'sign' ||
    word === 'xapinonce'
  );
}

// A body repeats its field names (every row of a list has them all): each name is judged once, up to a bound.
const REMEMBERED_NAMES = 4096;
/** @type {Map<string, boolean>} */
const secretNames = new Map();
/** @type {Map<string, ReturnType<typeof fieldKind>>} */
const fieldKinds = new Map();

/**
 * `judge(name)`, judged once per name while the memory holds fewer than REMEMBERED_NAMES (then it starts over).
 * @template T
 * @param {Map<string, T>} memory
 * @param {string} name
 * @param {(name: string) => T} judge
 * @returns {T}
 */
function remembered(memory, name, judge) {
  if (memory.has(name)) return /** @type {T} */ (memory.get(name));
  if (memory.size >= REMEMBERED_NAMES) memory.clear();
  const verdict = judge(name);
  memory.set(name, verdict);
  return verdict;
}

// ── Fields that name a person ───────────────────────────────────────────────────────────────────────────────

// A field names a person when its last word is a person's role (`creatorid_name`, `mxoc_picker_name`,
// `auditor`, `mxoc_personliable`). Its name, employee code or number is masked; a department, material or
// currency name is not personal and stays.
const PERSON_FIELD =
  /(?:^|_)(?:(?:creator|auditor|modifier|picker|applicant|applier|emp|employee|operator|handler|submitter|approver|accountchecker|checker|reviewer|salesman|saler|salesperson|buyer|purchaser|contact|contacts|linkman|receiver|consignee|user|person|personliable|initiator|keeper|storekeeper|manager|leader|charger|principal|staff|worker|inspector|requester|proposer)(?:(?:id)?_?(?:name|number|code|no))?|(?:real|nick|true|full|first|last)_?name|job_?(?:no|number))$/i;
const CODE_FIELD = /(?:number|code|no)$/i;
const PHONE_FIELD = /(?:phone|mobile|tel|telephone|fax)$/i;
const ADDRESS_FIELD = /(?:address|addr)$/i;
// Numbers that identify a person or an account: identity cards, bank cards and accounts.
const NUMBER_FIELD = /(?:idcard|id_card|identity|idno|certno|cardno|card_no|bankaccount|bank_account|bankcard|account_?no)$/i;

/** A phone or card number: mobiles masked (or already masked), any other digits but the last four starred. */
function maskPhone(value) {
  const masked = maskMobiles(value);
  if (masked.includes('****')) return masked;
  const digits = value.replace(/[^0-9]/g, '').length;
  let seen = 0;
  return value.replace(/[0-9]/g, (d) => (++seen <= digits - 4 ? '*' : d));
}

/** The personal data a field holds, by its name: a person's name or code, an address, a phone or card number. */
function fieldKind(key) {
  const kind = personalKind(key);
  if (kind === 'mobile') return 'phone';
  if (kind) return kind;
  if (ADDRESS_FIELD.test(key)) return 'address';
  if (PERSON_FIELD.test(key)) return CODE_FIELD.test(key) ? 'code' : 'name';
  if (PHONE_FIELD.test(key) || NUMBER_FIELD.test(key)) return 'phone';
  return undefined;
}

/** `text` masked as the field `key` demands: a person's name, code, phone, card number or address; else as it is. */
function maskByField(key, text) {
  const kind = remembered(fieldKinds, key, fieldKind);
  if (kind === 'phone') return maskPhone(text);
  return kind === undefined ? text : mask(kind, text);
}

// ── The values one exchange must not leave anywhere ─────────────────────────────────────────────────────────

/** Secrets shorter than this are removed where they stand, not looked for elsewhere: `0` or `ok` is everywhere. */
const MIN_SECRET = 3;
/** A form at least this long is removed wherever it occurs; a shorter one only where it is delimited. */
const ANYWHERE_FROM = 16;
/**
 * At most this many characters of forms are looked for per exchange (the automaton's size). Secrets beyond it
 * make the exchange kept with every text redacted; personal values beyond it keep only their masks by rule.
 */
export const MAX_FORM_CHARACTERS = 256 * 1024;

/**
 * What one exchange must not leave anywhere, and how to take it out of a text: `scrub(text)` replaces every
 * form of every secret by `[redacted]`, every personal value the request carries by its mask (and its encoded
 * forms by `[redacted]`).
 * @typedef {{ scrub: (text: string) => string, complete: boolean }} Secrets
 */

/**
 * The secrets of the values given, and nothing else to look for (for callers that know their secrets).
 * @param {string[]} secrets
 * @returns {Secrets}
 */
export const knownSecrets = (secrets) => compile(new Set(secrets), new Map());

/**
 * The secrets an exchange carries, and the personal values its request carries:
 * - the values of query parameters, headers and fields named like a secret (see namesSecret), in the request
 *   and in the answer (a token call answers one), whatever they hold;
 * - `Authorization` and `Proxy-Authorization`: the credentials, and for Basic the decoded `user:password`
 *   and the password; every cookie's value (`Cookie`, and `Set-Cookie` of the answer);
 * - form-encoded bodies read like JSON ones;
 * - personal values of the request (path, query, body): mobiles, resident ID numbers, e-mail addresses in any
 *   text or key, and the values of person fields, each with its mask.
 * @param {{ path?: string, query?: URLSearchParams, headers?: Record<string, string | string[] | undefined>, body?: unknown,
 *   answer?: unknown, answerHeaders?: Record<string, string | string[] | undefined> }} exchange
 * @returns {Secrets}
 */
export function secretsOf({ path = '', query = new URLSearchParams(), headers = {}, body, answer, answerHeaders = {} }) {
  /** @type {Set<string>} */
  const secrets = new Set();
  /** @type {Map<string, string>} */
  const personal = new Map();
  const addSecret = (/** @type {unknown} */ value) => {
    if ((typeof value === 'string' || typeof value === 'number') && String(value).length >= MIN_SECRET) secrets.add(String(value));
  };
  for (const [name, value] of query) if (namesSecret(name)) addSecret(value);
  for (const [name, value] of Object.entries(headers)) for (const one of [value ?? []].flat()) headerSecrets(name, one, addSecret);
  for (const [name, value] of Object.entries(answerHeaders)) {
    for (const one of [value ?? []].flat()) {
      if (name.toLowerCase() === 'set-cookie') for (const form of cookieValues(one.split(';')[0] ?? '')) addSecret(form);
      else headerSecrets(name, one, addSecret);
    }
  }
  for (const value of [body, answer]) visitSecretFields(readForm(value) ?? value, addSecret);

  const addPersonal = (/** @type {string} */ text, key = '') => {
    for (const pattern of [MOBILE, RESIDENT_ID, EMAIL])
      for (const [found] of text.matchAll(pattern)) personal.set(found, maskPersonalText(found));
    const masked = maskByField(key, text);
    if (masked !== text && text.length >= 2) personal.set(text, masked);
  };
  for (const segment of path.split('/')) addPersonal(decoded(segment));
  for (const [name, value] of query) addPersonal(value, name);
  visitTexts(readForm(body) ?? body, addPersonal);
  return compile(secrets, personal);
}

/** The secrets one request or answer header carries. */
function headerSecrets(name, value, add) {
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    add(value);
    const trimmed = value.trim();
    const space = trimmed.indexOf(' ');
    const scheme = space === -1 ? '' : trimmed.slice(0, space);
    const credentials = trimmed.slice(space + 1).trim();
    add(credentials);
    if (scheme.toLowerCase() === 'basic') {
      const pair = Buffer.from(credentials, 'base64').toString('utf8');
      add(pair);
      add(pair.slice(pair.indexOf(':') + 1));
    }
  } else if (lower === 'cookie') {
    add(value);
    for (const cookie of value.split(';')) for (const form of cookieValues(cookie)) add(form);
  } else if (namesSecret(name)) add(value);
}

/**
 * A cookie's value, from `name=value`: as sent, unquoted, and percent-decoded (a server may echo a signed
 * session cookie `s%3Aabc…` as `s:abc…`; every form is the secret).
 */
function cookieValues(cookie) {
  const value = cookie.slice(cookie.indexOf('=') + 1).trim();
  const unquoted = value.startsWith('"') && value.endsWith('"') && value.length > 1 ? value.slice(1, -1) : value;
  return [...new Set([value, unquoted, decoded(unquoted)])];
}

/** Every string and number under a field named like a secret, at any depth. */
function visitSecretFields(value, add, secret = false) {
  if (Array.isArray(value)) for (const item of value) visitSecretFields(item, add, secret);
  else if (isObject(value)) for (const [key, child] of Object.entries(value)) visitSecretFields(child, add, secret || namesSecret(key));
  else if (secret) add(value);
}

/** Every string of a value, keys included, with the key it is found under. */
function visitTexts(value, visit, key = '') {
  if (typeof value === 'string') visit(value, key);
  else if (Array.isArray(value)) for (const item of value) visitTexts(item, visit, key);
  else if (isObject(value))
    for (const [name, child] of Object.entries(value)) {
      visit(name);
      visitTexts(child, visit, name);
    }
}

/** The pairs of a form-encoded body as an object (the last value of a repeated name), or undefined for other text. */
function readForm(value) {
  if (typeof value !== 'string' || !FORM.test(value)) return undefined;
  return Object.fromEntries(new URLSearchParams(value));
}
const FORM = /^[^=&\s]+=[^&\s]*(?:&[^=&\s]+=[^&\s]*)*$/;

function decoded(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The secrets and personal values as one replacer; personal values only as far as the budget allows. */
function compile(secrets, personal) {
  /** @type {Map<string, string>} */
  const replacements = new Map();
  let size = 0;
  for (const secret of secrets) for (const form of secretForms(secret)) size += form.length;
  if (size > MAX_FORM_CHARACTERS) return { scrub: (text) => (text === '' ? text : REDACTED), complete: false };
  for (const secret of secrets) for (const form of secretForms(secret)) replacements.set(form, REDACTED);
  for (const [value, masked] of personal) {
    const forms = secretForms(value);
    size += forms.reduce((sum, form) => sum + form.length, 0);
    if (size > MAX_FORM_CHARACTERS) break;
    // As it is, it becomes its mask; encoded, it is removed (a mask of base64 would still be base64 of it).
    for (const form of forms) if (!replacements.has(form)) replacements.set(form, form === value ? masked : REDACTED);
  }
  return { scrub: createReplacer(replacements, { anywhereFrom: ANYWHERE_FROM, overlap: REDACTED }), complete: true };
}

// ── Cleaning what is kept ───────────────────────────────────────────────────────────────────────────────────

/** A text fit to keep: secrets removed, personal values masked. */
const cleanString = (text, secrets) => maskPersonalText(secrets.scrub(text));

/**
 * A key, a query or header name, a path segment: fit to keep (secrets removed, personal values masked).
 * @param {string} key
 * @param {Secrets} secrets
 */
export const cleanKey = (key, secrets) => cleanString(key, secrets);

/** What replaces the value of a field named like a secret: nothing is left of it but emptiness. */
const redactWhole = (value) => (value === null || value === '' ? value : REDACTED);

/**
 * A copy of a parsed body (or JSON text) fit to keep: fields named like a secret replaced whole (objects,
 * arrays and numbers too), secrets and personal values taken out of every other string, key and number, people's
 * names, codes, phone numbers and addresses masked by their field. Shapes stay as they were; a number that held a
 * secret or personal value becomes the string that replaces it.
 * @param {unknown} value
 * @param {Secrets} secrets
 * @param {string} [key] the field the value is found under
 * @returns {unknown}
 */
export function cleanValue(value, secrets, key = '') {
  if (namesSecret(key)) return redactWhole(value);
  if (Array.isArray(value)) return value.map((item) => cleanValue(item, secrets, key));
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, child]) => [cleanKey(k, secrets), cleanValue(child, secrets, k)]));
  if (typeof value === 'number') {
    const text = String(value);
    const cleaned = cleanString(text, secrets);
    return cleaned === text ? value : cleaned;
  }
  if (typeof value !== 'string' || value === '') return value;
  // A string that is itself JSON text (a text/plain body, an embedded document) is cleaned as JSON.
  if (/^\s*[[{]/.test(value)) {
    const parsed = parseJson(value);
    // Not JSON, or nested too deep to walk: cleaned as text below.
    if (parsed && !parsed.tooDeep) return JSON.stringify(cleanValue(parsed.value, secrets, key));
  }
  return maskByField(key, cleanString(value, secrets));
}

/**
 * A body kept as text (not parsed JSON): JSON text and form-encoded pairs cleaned field by field, any other text
 * as text.
 * @param {string} text
 * @param {Secrets} secrets
 */
export function cleanText(text, secrets) {
  const form = readForm(text);
  if (!form) return /** @type {string} */ (cleanValue(text, secrets));
  return Object.entries(form)
    .map(([name, value]) => `${encodeKept(cleanKey(name, secrets))}=${encodeKept(String(cleanValue(value, secrets, name)))}`)
    .join('&');
}

/** Percent-encoding that leaves the masks and `[redacted]` readable. */
const encodeKept = (text) => encodeURIComponent(text).replace(/%5B/g, '[').replace(/%5D/g, ']').replace(/%40/g, '@');

/**
 * A value as a record's field lists read it: keys cleaned, values emptied to their JSON type (strings '',
 * numbers 0 or 0.5, booleans false), and what a field named like a secret holds emptied too, without its inner
 * fields. Names and types survive; no value does.
 * @param {unknown} value
 * @param {Secrets} secrets
 * @returns {unknown}
 */
export function skeletonOf(value, secrets, secret = false) {
  if (Array.isArray(value)) return secret ? [] : value.map((item) => skeletonOf(item, secrets));
  if (isObject(value)) {
    if (secret) return {};
    return Object.fromEntries(
      Object.entries(value).map(([k, child]) => [cleanKey(k, secrets), skeletonOf(child, secrets, namesSecret(k))]),
    );
  }
  if (typeof value === 'string') return '';
  if (typeof value === 'number') return Number.isInteger(value) ? 0 : 0.5;
  if (typeof value === 'boolean') return false;
  return value;
}

/**
 * A request path fit to keep: secrets removed (also one that spans segments), each segment's personal values
 * masked, percent-encoded ones too.
 * @param {string} path
 * @param {Secrets} secrets
 */
export function cleanPath(path, secrets) {
  return secrets
    .scrub(path)
    .split('/')
    .map((segment) => {
      const raw = cleanKey(segment, secrets);
      const text = decoded(raw);
      const clean = cleanKey(text, secrets);
      return clean === text ? raw : encodeKept(clean);
    })
    .join('/');
}

/**
 * A route (`METHOD /path`) fit to write: its path cleaned.
 * @param {string} route
 * @param {Secrets} secrets
 */
export function cleanRoute(route, secrets) {
  const space = route.indexOf(' ');
  return `${route.slice(0, space + 1)}${cleanPath(route.slice(space + 1), secrets)}`;
}

/** A JSON pointer fit to keep: each segment (a body key) cleaned like a key. */
function cleanPointer(pointer, secrets) {
  return pointer
    .split('/')
    .map((segment) => escapePointer(cleanKey(unescapePointer(segment), secrets)))
    .join('/');
}

/**
 * A report line fit to write: its route's path cleaned like a path, its pointer's and pattern's segments like
 * keys, and what it says it saw like text.
 * @template {{ route: string, pointer: string, pattern?: string, seen: string }} Line
 * @param {Line} line
 * @param {Secrets} secrets
 * @returns {Line}
 */
export function cleanReportLine(line, secrets) {
  const route = cleanRoute(line.route, secrets);
  const seen = line.seen === line.route ? route : cleanString(line.seen, secrets);
  const pattern = line.pattern === undefined ? {} : { pattern: cleanPointer(line.pattern, secrets) };
  return { ...line, route, pointer: cleanPointer(line.pointer, secrets), ...pattern, seen };
}
