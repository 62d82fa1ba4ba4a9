// What a capture must never keep. Secrets go entirely: the access token, the gateway's X-Api-* signature
// headers, and body fields that hold a token, signature or secret, plus every echo of one of their values in
// any encoding. Personal data is masked by the spec's own rules (`@qzz/spec/personal`: `138****8000`, `王**`,
// `AB*****`, `浙江省******`), on the fields those rules know and on the wider set of person fields below.
import { mask, maskMobiles, personalKind } from '@qzz/spec/personal';

/** Body fields that hold a secret, whatever the casing and separator (`access_token`, `app-token`, `appSecret`). */
const SECRET_FIELD =
  /^(access[-_]?token|app[-_]?token|app[-_]?signature|app[-_]?secret|client[-_]?secret|secret|signature|password|refresh[-_]?token|token)$/i;

/**
 * Headers whose values are secrets: the gateway's signature and its nonce (its other X-Api-* headers carry a
 * client id, a version and a timestamp, which are no secrets and too common to scrub everywhere), app tokens,
 * `Authorization` and cookies.
 */
const SECRET_HEADER =
  /^(x-api-signature|x-api-nonce|app[-_]?token|app[-_]?signature|access[-_]?token|authorization|proxy-authorization|cookie)$/i;

/** Query parameters whose values are secrets. */
const SECRET_QUERY = /^(access[-_]?token|app[-_]?token|signature|app[-_]?signature|app[-_]?secret|secret|token)$/i;

export const REDACTED = '[redacted]';

// A field names a person when its last word is a person's role (`creatorid_name`, `mxoc_picker_name`,
// `auditor`, `mxoc_personliable`). Its name, employee code or number is masked; a department, material or
// currency name is not personal and stays.
const ROLE =
  '(creator|auditor|modifier|picker|applicant|applier|emp|employee|operator|handler|submitter|approver|accountchecker|checker|reviewer|salesman|saler|salesperson|buyer|purchaser|contact|contacts|linkman|receiver|consignee|user|person|personliable|initiator|keeper|storekeeper|manager|leader|charger|principal|staff|worker|inspector|requester|proposer)';
const PERSON_FIELD = new RegExp(
  `(^|_)(${ROLE}((id)?_?(name|number|code|no))?|(real|nick|true|full|first|last)_?name|job_?(no|number))$`,
  'i',
);
const PHONE_FIELD = /(phone|mobile|tel|telephone|fax)$/i;
const ADDRESS_FIELD = /(address|addr)$/i;
// Numbers that identify a person or an account: identity cards, bank cards and accounts.
const NUMBER_FIELD = /(idcard|id_card|identity|idno|certno|cardno|card_no|bankaccount|bank_account|bankcard|account_?no)$/i;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

/** The encodings a secret can be echoed in: raw, percent-encoded, form-encoded, JSON-escaped (and JSON-escaped encodings). */
function encodings(secret) {
  const forms = new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), encodeURI(secret)]);
  for (const form of [...forms]) forms.add(JSON.stringify(form).slice(1, -1));
  return [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
}

/**
 * The secrets one exchange carries: the query's token, the signature headers' values, body fields holding
 * secrets. Each is looked for (in all its encodings) wherever the exchange is kept.
 * @param {{ query: URLSearchParams, headers: Record<string, string | string[] | undefined>, body?: unknown }} exchange
 */
export function secretsOf({ query, headers, body }) {
  const secrets = new Set();
  for (const [name, value] of query) if (SECRET_QUERY.test(name) && value) secrets.add(value);
  for (const [name, value] of Object.entries(headers)) {
    if (SECRET_HEADER.test(name) && value) for (const v of [value].flat()) secrets.add(v);
  }
  walk(body, (key, value) => {
    if (SECRET_FIELD.test(key) && typeof value === 'string' && value) secrets.add(value);
  });
  return [...secrets];
}

function walk(value, visit) {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      visit(key, child);
      walk(child, visit);
    }
  }
}

/** `text` with every encoding of every secret replaced. */
export function scrubText(text, secrets) {
  let out = text;
  for (const secret of secrets) for (const form of encodings(secret)) out = out.split(form).join(REDACTED);
  return out;
}

/** A phone or card number: mobiles masked, any other digits but the last four starred. */
const maskPhone = (value) => {
  const masked = maskMobiles(value);
  if (masked.includes('****')) return masked;
  const digits = value.replace(/[^0-9]/g, '').length;
  let seen = 0;
  return value.replace(/[0-9]/g, (d) => (++seen <= digits - 4 ? '*' : d));
};

/**
 * A copy of a parsed body (or JSON text) fit to keep: secret fields and echoed secrets replaced, people's
 * names, codes, phone numbers and addresses masked. Strings stay strings, shapes stay as they were.
 * @param {unknown} value
 * @param {string[]} secrets
 */
export function cleanValue(value, secrets, key = '') {
  if (Array.isArray(value)) return value.map((item) => cleanValue(item, secrets, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, child]) => [k, cleanValue(child, secrets, k)]));
  }
  if (typeof value !== 'string') return SECRET_FIELD.test(key) && value !== null ? REDACTED : value;
  if (value === '') return value;
  if (SECRET_FIELD.test(key)) return REDACTED;
  // A string that is itself JSON text (a text/plain body, an embedded document) is cleaned as JSON.
  if (/^\s*[[{]/.test(value)) {
    try {
      return JSON.stringify(cleanValue(JSON.parse(value), secrets, key));
    } catch {
      // Not JSON: cleaned as text below.
    }
  }
  const text = maskMobiles(scrubText(value, secrets)).replace(EMAIL, '$1***@$2');
  const kind =
    personalKind(key) ??
    (ADDRESS_FIELD.test(key) ? 'address' : PERSON_FIELD.test(key) ? (/(number|code|no)$/i.test(key) ? 'code' : 'name') : undefined);
  if (kind === 'name' || kind === 'code' || kind === 'address') return mask(kind, text);
  if (kind === 'mobile' || PHONE_FIELD.test(key) || NUMBER_FIELD.test(key)) return maskPhone(text);
  return text;
}
