import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appSignature, percentEncode, signedHeaders, stringToSign } from '../src/index.js';

const VECTOR = 'ZDljMTI3NGIyNTE1MTRkYzlkNjc1MDNhYjUzMzgzNWMyY2M4YTdjMzdmNmM3YTVlNDkxMTkzNjdiOTFjNzUyZQ==';

describe('Kingdee OpenAPI 2.0 signing', () => {
  it('computes the published app_signature test vector', async () => {
    expect(await appSignature('abc', 'abc123')).toBe(VECTOR);
  });

  it('builds the string to sign as checked by hand', () => {
    const text = stringToSign(
      'get',
      '/jdyconnector/app_management/kingdee_auth_token',
      { app_signature: VECTOR, app_key: 'abc' },
      '42',
      '1700000000000',
    );
    expect(text).toBe(
      'GET\n' +
        '%2Fjdyconnector%2Fapp_management%2Fkingdee_auth_token\n' +
        `app_key=abc&app_signature=${VECTOR.slice(0, -2)}%253D%253D\n` +
        'x-api-nonce:42\n' +
        'x-api-timestamp:1700000000000\n',
    );
    expect(stringToSign('POST', '/a b', {}, '1', '2')).toBe('POST\n%2Fa%20b\n\nx-api-nonce:1\nx-api-timestamp:2\n');
    // An optional parameter left undefined is not in the URL, so it is not signed either.
    expect(stringToSign('GET', '/p', { app_key: 'abc', uid: undefined }, '1', '2')).toBe(
      stringToSign('GET', '/p', { app_key: 'abc' }, '1', '2'),
    );
  });

  it('percent-encodes like the gateway signers (everything but letters, digits and -_.~)', () => {
    expect(percentEncode("a+b/c=d e!*'()~_.-")).toBe('a%2Bb%2Fc%3Dd%20e%21%2A%27%28%29~_.-');
  });

  it('signs: Base64 of the hex HMAC-SHA256 of the string to sign, with the client secret', async () => {
    const headers = await signedHeaders(
      { clientId: 'cid', clientSecret: 'shh' },
      'POST',
      '/jdyconnector/app_management/push_app_authorize',
      { outerInstanceId: '7' },
      { now: 1700000000000, nonce: '99' },
    );
    const expected = Buffer.from(
      createHmac('sha256', 'shh')
        .update(
          'POST\n%2Fjdyconnector%2Fapp_management%2Fpush_app_authorize\nouterInstanceId=7\nx-api-nonce:99\nx-api-timestamp:1700000000000\n',
        )
        .digest('hex'),
    ).toString('base64');
    expect(headers).toEqual({
      'X-Api-ClientID': 'cid',
      'X-Api-Auth-Version': '2.0',
      'X-Api-TimeStamp': '1700000000000',
      'X-Api-Nonce': '99',
      'X-Api-SignHeaders': 'X-Api-TimeStamp,X-Api-Nonce',
      'X-Api-Signature': expected,
    });
  });
});
