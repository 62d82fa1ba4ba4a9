// The planted secrets and personal values (issue 16, item 5), shared by the proxy's replay (planted.test.js) and
// the HAR replay (har-secrets.test.js): the values, the encodings they are echoed in and looked for, the exchanges
// that carry them, and the scan of what a run wrote.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const SEED = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';

/** Every planted value by name. Secrets hold URL-, JSON- and form-special characters, so each encoding differs. */
export const PLANTED = {
  accessToken: 'at.Q7zp/3Lw+9Xk=2',
  bearer: 'br-M4hs8Qe1Tz6Yc0Gf',
  basicPassword: 'Pw!H7kx9Lq2#',
  basicPair: 'svc-user:Pw!H7kx9Lq2#',
  basicCredential: Buffer.from('svc-user:Pw!H7kx9Lq2#').toString('base64'),
  cookieSession: 'cs-J2n8Rw4Ty6Ui0Op',
  cookieOther: 'ck_9vB3nM5xZ7aS1dF',
  // A signed session cookie: sent percent-encoded, as servers set it, and echoed decoded.
  cookieSigned: 's:Sg7.Hk2+Lm9/Qw3=',
  signature: 'SIG+a8K2/b9L4=c7M1',
  nonce: '1928374650',
  clientSecret: 'cls_Wq8Er4"Ty2\\Ui6',
  appSecret: 'aps-Z1x2C3v4B5n6M7',
  appSignature: 'YXBwLXNpZ25hdHVyZS12YWx1ZQ==',
  formPassword: 'fp Secret/77!x',
  formClientSecret: 'fcs-Xy12Zw34Vu56',
  nestedSession: 'ns-Aa11Bb22Cc33',
  apiKey: 'ak_Lm90Nb87Vc65',
  privateKey: 'pk-Rt5Yu6Io7Pa8',
  refreshToken: 'rt~Hj3Kl4Zx5Cv6',
  secretNumber: '80417263',
  secretInArray: 'arr-Qa1Ws2Ed3Rf4',
  mobile: '13912345678',
  mobileSpaced: '+86 138 0013 8000',
  mobileDashed: '0086-137-2468-1357',
  mobilePrefixed: '8615024681357',
  mobileAsKey: '15811112222',
  mobileInPath: '18622223333',
  residentId: '11010119900307123X',
  email: 'zhang.wei@corp-example.cn',
  emailInPath: 'li.na@example.org',
  emailSelector: 'wang.fang@corp.cn',
  mobileSelector: '+86 139 5555 6666',
  personName: '欧阳小明',
};

/** The encodings a planted value is echoed in, and looked for on disk. */
export const ENCODINGS = {
  raw: (v) => v,
  percent: (v) => encodeURIComponent(v),
  form: (v) => new URLSearchParams({ v }).toString().slice(2),
  json: (v) => JSON.stringify(v).slice(1, -1),
  jsonAscii: (v) =>
    JSON.stringify(v)
      .slice(1, -1)
      .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  base64: (v) => Buffer.from(v).toString('base64'),
  base64url: (v) => Buffer.from(v).toString('base64url'),
  hex: (v) => Buffer.from(v).toString('hex'),
  hexUpper: (v) => Buffer.from(v).toString('hex').toUpperCase(),
};

/**
 * What the stand-in answers: every value the request says it carries (`x-echo`), in every encoding, as values,
 * keys and text. The labels are neutral (`value3`), so no value is removed for the name of the field it is under.
 */
export function echoAnswer(names) {
  const echo = {};
  const data = { echo, sentence: '' };
  for (const [i, name] of names.entries()) {
    const value = PLANTED[name];
    echo[`value${i}`] = Object.fromEntries(Object.entries(ENCODINGS).map(([encoding, encode]) => [encoding, encode(value)]));
    for (const encode of Object.values(ENCODINGS)) data[encode(value)] = `value${i}`;
    data.sentence += Object.values(ENCODINGS)
      .map((encode) => `value${i} is ${encode(value)};`)
      .join(' ');
  }
  return { success: true, reachPlugin: true, errorCode: 'success', data };
}

const P = PLANTED;
const query = `access_token=${encodeURIComponent(P.accessToken)}&app_secret=${encodeURIComponent(P.appSecret)}&app_signature=${encodeURIComponent(P.appSignature)}`;
const QUERY_NAMES = ['accessToken', 'appSecret', 'appSignature'];
const CREDENTIALS = { groupName: 'grp-7', accountid: '1700000000000000001', 'X-GW-Router-Addr': 'https://tf.jdy.com' };

/** The exchanges: each on a route or action the spec lacks (so it is captured), each carrying some planted values. */
export const EXCHANGES = [
  {
    // Every header secret, and a JSON body with secrets as values, as keys and nested under secret-named keys.
    path: `/mxoc_planted/${encodeURIComponent(P.accessToken)}/json?${query}`,
    headers: {
      ...CREDENTIALS,
      authorization: `Bearer ${P.bearer}`,
      cookie: `SESSIONID=${P.cookieSession}; prefs=${P.cookieOther}; connect.sid=${encodeURIComponent(P.cookieSigned)}`,
      'X-Api-Signature': P.signature,
      'X-Api-Nonce': P.nonce,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      client_secret: P.clientSecret,
      api_key: P.apiKey,
      private_key: P.privateKey,
      session: { id: P.nestedSession, started: '2026-01-01' },
      pin_password: Number(P.secretNumber),
      tokens: [P.secretInArray],
      [P.accessToken]: 'the token as a key',
      [P.mobileAsKey]: 'a mobile as a key',
      creatorid_name: P.personName,
      note: `call ${P.mobile} or ${P.mobileSpaced}, mail ${P.email}, id ${P.residentId}`,
      contact: { phone: P.mobileDashed, other: P.mobilePrefixed },
    }),
    echo: [
      ...QUERY_NAMES,
      'bearer',
      'cookieSession',
      'cookieOther',
      'cookieSigned',
      'signature',
      'nonce',
      'clientSecret',
      'apiKey',
      'privateKey',
      'nestedSession',
      'secretNumber',
      'secretInArray',
      'mobileAsKey',
      'personName',
      'mobile',
      'mobileSpaced',
      'email',
      'residentId',
      'mobileDashed',
      'mobilePrefixed',
    ],
  },
  {
    // Basic credentials and a form-encoded body.
    path: `/mxoc_planted/form?${query}`,
    headers: {
      ...CREDENTIALS,
      authorization: `Basic ${P.basicCredential}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ password: P.formPassword, client_secret: P.formClientSecret, mobile: P.mobile }).toString(),
    echo: [...QUERY_NAMES, 'basicPassword', 'basicPair', 'basicCredential', 'formPassword', 'formClientSecret', 'mobile'],
  },
  {
    // JSON text in a text/plain body.
    path: `/mxoc_planted/text-body?${query}`,
    headers: { ...CREDENTIALS, 'content-type': 'text/plain' },
    body: JSON.stringify({ refresh_token: P.refreshToken, remark: P.email }),
    echo: [...QUERY_NAMES, 'refreshToken', 'email'],
  },
  {
    // An answer that is text, not JSON.
    path: `/mxoc_planted/text-answer?${query}`,
    headers: { ...CREDENTIALS, authorization: `Bearer ${P.bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ remark: P.residentId }),
    echo: [...QUERY_NAMES, 'bearer', 'residentId'],
  },
  {
    // Personal values as path segments.
    path: `/mxoc_planted/${P.mobileInPath}/${P.emailInPath}?${query}`,
    headers: { ...CREDENTIALS, 'content-type': 'application/json' },
    body: JSON.stringify({ page: '1' }),
    echo: [...QUERY_NAMES, 'mobileInPath', 'emailInPath'],
  },
  {
    // New actions on a known route: the selector values name the capture file.
    path: `${SEED}?${query}`,
    headers: { ...CREDENTIALS, 'content-type': 'application/json' },
    body: JSON.stringify({ operation: P.emailSelector, billdata: { id: '1634800180022794240' } }),
    echo: [...QUERY_NAMES, 'emailSelector'],
  },
  {
    path: `${SEED}?${query}`,
    headers: { ...CREDENTIALS, 'content-type': 'application/json' },
    body: JSON.stringify({ operation: P.mobileSelector, billdata: { id: '1634800180022794240' } }),
    echo: [...QUERY_NAMES, 'mobileSelector'],
  },
  {
    path: `${SEED}?${query}`,
    headers: { ...CREDENTIALS, 'content-type': 'application/json' },
    body: JSON.stringify({ operation: P.appSecret, billdata: { id: '1634800180022794240' } }),
    echo: [...QUERY_NAMES],
  },
  {
    // A known action: secrets and personal values as undocumented keys reach the report as pointers.
    path: `${SEED}?${query}`,
    headers: { ...CREDENTIALS, 'content-type': 'application/json', 'X-Api-Signature': P.signature },
    body: JSON.stringify({
      operation: 'push',
      entryPk: '1634800180022794240',
      billdata: { id: '1634800180022794240' },
      [P.accessToken]: 1,
      [P.mobileAsKey]: 2,
      [P.signature]: 3,
    }),
    echo: [...QUERY_NAMES, 'mobileAsKey', 'signature'],
  },
];

/** Every (planted value, encoding) found in a file's name or bytes. */
export function findPlanted(files) {
  const found = new Map();
  const slug = (text) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  for (const [name, value] of Object.entries(PLANTED)) {
    const forms = Object.entries(ENCODINGS).map(([encoding, encode]) => [encoding, encode(value)]);
    if (/^[+0-9 -]+$/.test(value)) forms.push(['digits only', value.replace(/[^0-9]/g, '')]);
    for (const { file, text } of files) {
      for (const [encoding, form] of forms) {
        const inName = file.toLowerCase().includes(form.toLowerCase()) || slug(file).includes(slug(form).replace(/^-|-$/g, '') || '\0');
        if (text.includes(form) || inName) {
          if (!found.has(name)) found.set(name, []);
          found.get(name).push(`${encoding} in ${inName ? 'the name of ' : ''}${file}`);
        }
      }
    }
  }
  return found;
}

export async function filesUnder(dir, prefix = '') {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path, `${prefix}${entry.name}/`)));
    else
      out.push({
        file: `${prefix}${entry.name}`,
        text: await readFile(path, 'latin1').then((t) => Buffer.from(t, 'latin1').toString('utf8')),
      });
  }
  return out;
}
