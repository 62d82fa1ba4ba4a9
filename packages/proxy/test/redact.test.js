// What a capture keeps of a body: secrets replaced wherever they are echoed, personal data masked to shape.
import { describe, expect, it } from 'vitest';
import {
  cleanPath,
  cleanReportLine,
  cleanText,
  cleanValue,
  knownSecrets,
  MAX_FORM_CHARACTERS,
  namesSecret,
  secretsOf,
  skeletonOf,
} from '../src/redact.js';

const NONE = knownSecrets([]);
/** @param {unknown} value */
const asRecord = (value) => /** @type {Record<string, any>} */ (value);

const SECRET = 'a&b=c/d?e#f%g+h i"j\\k\'l:m@n';

describe('secretsOf', () => {
  it('takes the token from the query, the signature headers and secret body fields', () => {
    const secrets = secretsOf({
      query: new URLSearchParams({ access_token: 'tok-1', page: '2' }),
      headers: { 'x-api-signature': 'sig-1', 'x-api-nonce': 'n-1', groupname: 'grp-9' },
      body: { appSecret: 'as-1', nested: [{ 'app-token': 'at-1', app_signature: 'ap-1' }], name: 'xyz' },
    });
    expect(secrets.scrub('tok-1 sig-1 n-1 as-1 at-1 ap-1 | grp-9 2 xyz')).toBe(
      '[redacted] [redacted] [redacted] [redacted] [redacted] [redacted] | grp-9 2 xyz',
    );
  });

  it('takes Bearer and Basic credentials (the decoded pair and the password too), every cookie and Set-Cookie value', () => {
    const basic = Buffer.from('svc:pa55-word').toString('base64');
    const bearer = secretsOf({ headers: { authorization: 'Bearer tok-b', cookie: 'SID=c-1; theme=c-2' } });
    expect(bearer.scrub('tok-b c-1 c-2 SID theme')).toBe('[redacted] [redacted] [redacted] SID theme');
    const secrets = secretsOf({ headers: { authorization: `Basic ${basic}` }, answerHeaders: { 'set-cookie': ['s=new-1; Path=/'] } });
    expect(secrets.scrub(`${basic} svc:pa55-word pa55-word new-1`)).toBe('[redacted] [redacted] [redacted] [redacted]');
  });

  it('reads a form-encoded body, and secrets nested under secret-named fields whatever they are', () => {
    const form = secretsOf({ body: 'client_secret=cs%2F1&password=p+w+1&page=2' });
    expect(form.scrub('cs/1 p w 1 page 2')).toBe('[redacted] [redacted] page 2');
    const nested = secretsOf({
      answer: { data: { session: { id: 'sess-1', ttl: 7200 }, tokens: ['t-one', 't-two'], pin_password: 4711 } },
    });
    expect(nested.scrub('sess-1 7200 t-one t-two 4711')).toBe('[redacted] [redacted] [redacted] [redacted] [redacted]');
  });

  it('learns the personal values of the request, so their encodings are removed and their raw form masked', () => {
    const secrets = secretsOf({
      path: '/x/13912345678',
      body: { creatorid_name: '欧阳小明', remark: 'mail zhang.wei@corp.cn' },
    });
    const b64 = (s) => Buffer.from(s).toString('base64');
    expect(secrets.scrub(`${b64('13912345678')} ${encodeURIComponent('欧阳小明')} 欧阳小明来了 ${b64('zhang.wei@corp.cn')}`)).toBe(
      '[redacted] [redacted] 欧***来了 [redacted]',
    );
  });

  it('keeps every text of an exchange redacted when its secrets are more than it can look for', () => {
    const secrets = secretsOf({ body: { token: 'x'.repeat(MAX_FORM_CHARACTERS) } });
    expect(secrets.complete).toBe(false);
    expect(secrets.scrub('anything at all')).toBe('[redacted]');
    expect(secrets.scrub('')).toBe('');
  });
});

describe('namesSecret', () => {
  it('knows the names of secrets whatever their casing and separators, and leaves other names', () => {
    const secret = [
      'access_token',
      'App-Token',
      'x-auth-token',
      'appSecret',
      'client_secret',
      'PASSWORD',
      'user_password',
      'X-Api-Signature',
      'app_signature',
      'api_key',
      'X-Api-Key',
      'privateKey',
      'session',
      'sessionId',
      'JSESSIONID',
      'Cookie',
      'Set-Cookie',
      'sign',
      'Authorization',
      'X-Api-Nonce',
    ];
    expect(secret.filter((n) => !namesSecret(n))).toEqual([]);
    const plain = [
      'billno',
      'operation',
      'creatorid_name',
      'X-Api-ClientID',
      'X-Api-TimeStamp',
      'groupName',
      'design',
      'signdate',
      'key',
      'id',
    ];
    expect(plain.filter(namesSecret)).toEqual([]);
  });
});

describe('a short secret', () => {
  it('is replaced as a whole value or where it is delimited, never inside another word', () => {
    const secrets = knownSecrets(['dev']);
    expect(secrets.scrub('dev')).toBe('[redacted]');
    expect(secrets.scrub('device devops undeveloped dev_mode mydev')).toBe('device devops undeveloped dev_mode mydev');
    expect(secrets.scrub('/dev/null "dev" token=dev&x=1 (dev) 开发dev环境')).toBe(
      '/[redacted]/null "[redacted]" token=[redacted]&x=1 ([redacted]) 开发[redacted]环境',
    );
    expect(asRecord(cleanValue({ env: 'dev', note: 'deviation', dev: 'key' }, secrets))).toEqual({
      env: '[redacted]',
      note: 'deviation',
      '[redacted]': 'key',
    });
  });

  it('of 16 characters or more is replaced wherever it occurs, glued to other words too', () => {
    const secrets = knownSecrets(['Ab3Cd4Ef5Gh6Ij7K']);
    expect(secrets.scrub('xxAb3Cd4Ef5Gh6Ij7Kyy')).toBe('xx[redacted]yy');
  });
});

describe('cleanValue', () => {
  it('replaces a secret in every encoding it can be echoed in', () => {
    const echoes = [
      SECRET,
      encodeURIComponent(SECRET),
      new URLSearchParams({ s: SECRET }).toString().slice(2),
      JSON.stringify(SECRET).slice(1, -1),
    ];
    const cleaned = asRecord(
      cleanValue({ echoes, embedded: JSON.stringify({ t: SECRET }), access_token: 'anything', token: 42 }, knownSecrets([SECRET])),
    );
    expect(cleaned.echoes).toEqual(['[redacted]', '[redacted]', '[redacted]', '[redacted]']);
    expect(JSON.parse(cleaned.embedded)).toEqual({ t: '[redacted]' });
    expect(cleaned.access_token).toBe('[redacted]');
    expect(cleaned.token).toBe('[redacted]');
  });

  it("masks people's names, codes, phones, cards, addresses and emails, and leaves everything else", () => {
    expect(
      cleanValue(
        {
          creatorid_name: '王二小',
          mxoc_picker_name: '王二小',
          mxoc_picker_number: 'AB01234',
          mxoc_picker: '王二小',
          auditor: 'Li Si',
          username: 'wangwu',
          realname: '王五',
          creatorid_phone: '13800138000',
          customerid_addr: '北京市海淀区某路1号',
          customerid_bankaccount: '6222020200112233445',
          remark: 'call 13800138000 or a.b@corp.cn',
          deptid_name: '生产部',
          materialid_name: '螺丝',
          customerid_name: '某某生产制造有限公司',
          billno: 'BJLL-20230306-0001',
          id: '1634800180022794240',
          creatorid: '1634800180022794240',
          qty: '0.0000000000',
          lines: [{ applicant_name: '赵六' }],
        },
        NONE,
      ),
    ).toEqual({
      creatorid_name: '王**',
      mxoc_picker_name: '王**',
      mxoc_picker_number: 'AB*****',
      mxoc_picker: '王**',
      auditor: 'L****',
      username: 'w*****',
      realname: '王*',
      creatorid_phone: '138****8000',
      customerid_addr: '北京市*******',
      customerid_bankaccount: '***************3445',
      remark: 'call 138****8000 or a***@corp.cn',
      deptid_name: '生产部',
      materialid_name: '螺丝',
      customerid_name: '某某生产制造有限公司',
      billno: 'BJLL-20230306-0001',
      id: '1634800180022794240',
      creatorid: '1634800180022794240',
      qty: '0.0000000000',
      lines: [{ applicant_name: '赵*' }],
    });
  });

  it('keeps types: numbers, booleans and nulls stay as they are', () => {
    expect(cleanValue({ a: 1, b: true, c: null, d: [1, 'x'] }, NONE)).toEqual({ a: 1, b: true, c: null, d: [1, 'x'] });
  });

  it('removes whatever a secret-named field holds, and cleans keys like values', () => {
    const secrets = knownSecrets(['kk-Gh7Jk8Lz9']);
    expect(
      cleanValue(
        {
          session: { id: 's', nested: { deep: 1 } },
          tokens: ['a', 'b'],
          pin_password: 1234,
          api_key: true,
          refresh_token: null,
          'kk-Gh7Jk8Lz9': 'as a key',
          13912345678: 'a mobile as a key',
          contact: { mobile: 13800138000 },
        },
        secrets,
      ),
    ).toEqual({
      session: '[redacted]',
      tokens: '[redacted]',
      pin_password: '[redacted]',
      api_key: '[redacted]',
      refresh_token: null,
      '[redacted]': 'as a key',
      '139****5678': 'a mobile as a key',
      contact: { mobile: '138****8000' },
    });
  });

  it('masks mobile numbers in every common writing, resident ID numbers and e-mail addresses in any text', () => {
    const text =
      'a 13912345678 b +86 139 1234 5678 c 0086-139-1234-5678 d 8613912345678 e (+86)13912345678 f 139-1234-5678 id 11010119900307123X, 440305200001011234 mail zhang.wei@corp-example.cn';
    expect(cleanValue(text, NONE)).toBe(
      'a 139****5678 b +86 139 **** 5678 c 0086-139-****-5678 d 86139****5678 e (+86)139****5678 f 139-****-5678 id 110***********123X, 440***********1234 mail z***@corp-example.cn',
    );
    // Ids, bill numbers, amounts and dates are no personal data.
    const plain = '1634800180022794240 -1634800180022794240 BJLL-20230306-0001 0.0000000000 2023-03-06 13:09:11 12345678901';
    expect(cleanValue(plain, NONE)).toBe(plain);
  });
});

describe('cleanText', () => {
  it('cleans a form-encoded body field by field, and JSON text as JSON', () => {
    expect(cleanText('client_secret=abc123&mobile=13912345678&page=2&note=call%2013912345678', NONE)).toBe(
      'client_secret=[redacted]&mobile=139****5678&page=2&note=call%20139****5678',
    );
    expect(cleanText('{"password":"p","name":"x"}', NONE)).toBe('{"password":"[redacted]","name":"x"}');
    expect(cleanText('plain words 13912345678', NONE)).toBe('plain words 139****5678');
  });
});

describe('skeletonOf', () => {
  it('keeps names and JSON types, cleaned keys, and no value; a secret field without its inner fields', () => {
    const secrets = knownSecrets(['kk-Gh7Jk8Lz9']);
    expect(
      skeletonOf(
        { a: 'x', n: 1.5, i: 7, b: true, z: null, list: ['q', 2], session: { id: 's' }, 'kk-Gh7Jk8Lz9': 1, 13912345678: [] },
        secrets,
      ),
    ).toEqual({ a: '', n: 0.5, i: 0, b: false, z: null, list: ['', 0], session: {}, '[redacted]': 0, '139****5678': [] });
  });
});

describe('paths and report lines', () => {
  it('removes secrets and masks personal values in a path, percent-encoded or not, also across segments', () => {
    const secrets = knownSecrets(['at.Q7zp/3Lw+9Xk=2']);
    expect(cleanPath(`/a/${encodeURIComponent('at.Q7zp/3Lw+9Xk=2')}/b/at.Q7zp/3Lw+9Xk=2/c`, secrets)).toBe('/a/[redacted]/b/[redacted]/c');
    expect(cleanPath('/u/13912345678/li.na%40example.org/%2B86%20139%201234%205678', NONE)).toBe(
      '/u/139****5678/l***@example.org/%2B86%20139%20****%205678',
    );
  });

  it('cleans the route, every pointer segment and what was seen, and nothing else', () => {
    const secrets = knownSecrets(['tok/en-1']);
    const line = {
      time: 't',
      route: 'POST /x/13912345678',
      action: null,
      direction: 'request',
      status: null,
      pointer: '/data/tok~1en-1/13800138000/0',
      kind: 'undocumented-field',
      spec: 'not in the spec',
      seen: 'POST /x/13912345678',
    };
    expect(cleanReportLine(line, secrets)).toEqual({
      ...line,
      route: 'POST /x/139****5678',
      pointer: '/data/[redacted]/138****8000/0',
      seen: 'POST /x/139****5678',
    });
  });
});
