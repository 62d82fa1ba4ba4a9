// What a capture keeps of a body: secrets replaced wherever they are echoed, personal data masked to shape.
import { describe, expect, it } from 'vitest';
import { cleanValue, secretsOf } from '../src/redact.js';

const SECRET = 'a&b=c/d?e#f%g+h i"j\\k\'l:m@n';

describe('secretsOf', () => {
  it('takes the token from the query, the signature headers and secret body fields', () => {
    const secrets = secretsOf({
      query: new URLSearchParams({ access_token: 'tok-1', page: '2' }),
      headers: { 'x-api-signature': 'sig-1', 'x-api-nonce': 'n-1', groupname: 'grp' },
      body: { appSecret: 'as-1', nested: [{ 'app-token': 'at-1', app_signature: 'ap-1' }], name: 'x' },
    });
    expect(secrets.sort()).toEqual(['ap-1', 'as-1', 'at-1', 'n-1', 'sig-1', 'tok-1']);
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
    const cleaned = cleanValue({ echoes, embedded: JSON.stringify({ t: SECRET }), access_token: 'anything', token: 42 }, [SECRET]);
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
        [],
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
    expect(cleanValue({ a: 1, b: true, c: null, d: [1, 'x'] }, [])).toEqual({ a: 1, b: true, c: null, d: [1, 'x'] });
  });
});
