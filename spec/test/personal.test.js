// Personal data in the vendor's examples (mobile numbers, people's names, employee codes, an address) is
// masked wherever we publish it (lib/personal.js holds the rules). This suite checks the rules, every example
// of the bundle, and — where the evidence is present — that no personal value of it is in the bundle or in
// any file of the repository. The built docs are checked by packages/docs/test/personal.test.js.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MOBILE, mask, maskPersonalText, maskText, personalKind, personalValues } from '../lib/personal.js';
import { hasReference, loadBundle, loadRecords, repoDir, specDir } from './helpers.js';

const doc = loadBundle();
const bundleTexts = ['openapi.json', 'openapi.yaml'].map((f) => [`spec/dist/${f}`, readFileSync(join(specDir, 'dist', f), 'utf8')]);

/** Every [key, value] of a JSON value, at any depth; JSON text in a string (a text/plain example) is read too. */
function fields(value, key = '') {
  if (typeof value === 'string' && /^\s*[{[]/.test(value)) {
    try {
      return fields(JSON.parse(value), key);
    } catch {
      // Not JSON text after all.
    }
  }
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => fields(v, Array.isArray(value) ? key : k));
  return [[key, value]];
}

describe('the masking rules', () => {
  it('keep the shape and make the mask obvious', () => {
    expect(mask('mobile', '13800138000')).toBe('138****8000');
    expect(mask('code', 'u13800138000')).toBe('u138****8000');
    expect(mask('name', '王二小')).toBe('王**');
    expect(mask('code', 'AB01234')).toBe('AB*****');
    expect(mask('address', '浙江省杭州市西湖区')).toBe('浙江省******');
  });

  it('find personal fields by their wire names', () => {
    expect(
      [
        'creatorid_phone',
        'mxoc_mobilephone',
        'customerid_addr',
        'mxoc_address',
        'creatorid_name',
        'mxoc_picker_name',
        'mxoc_applicant_number',
        'mxoc_contacts',
      ].map(personalKind),
    ).toEqual(['mobile', 'mobile', 'address', 'address', 'name', 'name', 'code', 'name']);
    expect(['billtypeid_name', 'customerid_name', 'currencyid_number', 'stockid_name'].map(personalKind)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('mask mobile numbers in every common writing, resident ID numbers and e-mail addresses, in the writing they came in', () => {
    expect(
      maskPersonalText(
        '13912345678 +86 139 1234 5678 +86-139-1234-5678 0086 13912345678 8613912345678 139 1234 5678 139-1234-5678 11010119900307123X a.b@corp.cn',
      ),
    ).toBe(
      '139****5678 +86 139 **** 5678 +86-139-****-5678 0086 139****5678 86139****5678 139 **** 5678 139-****-5678 110***********123X a***@corp.cn',
    );
    // A 19-digit id, a bill number, a date and an amount are not personal data.
    const plain = '1634800180022794240 BJLL-20230306-0001 2023-03-06 13:09:11 0.0000000000 12345678901';
    expect(maskPersonalText(plain)).toBe(plain);
  });

  it('mask a cut-off example and every mobile number in it', () => {
    const text = '{"creatorid_name": "王二小", "note": "call 13912345678", "mxoc_picker_number": "ZY0';
    expect(personalValues(text)).toEqual([
      ['13912345678', '139****5678'],
      ['王二小', '王**'],
    ]);
    expect(maskText(text)).toBe('{"creatorid_name": "王**", "note": "call 139****5678", "mxoc_picker_number": "ZY0');
  });
});

describe('the bundle', () => {
  it('holds no unmasked mobile number', () => {
    for (const [name, text] of bundleTexts) expect(text.match(MOBILE), name).toBeNull();
  });

  it('masks every personal field of every example', () => {
    const examples = Object.values(doc.components.examples ?? {}).map((e) => e.value);
    const unmasked = examples
      .flatMap((v) => fields(v))
      .filter(([key, value]) => personalKind(key) && typeof value === 'string' && value.trim() !== '' && !value.includes('*'));
    expect(unmasked).toEqual([]);
    // The examples do carry personal fields: this check is not vacuous.
    expect(examples.flatMap((v) => fields(v)).filter(([key]) => personalKind(key)).length).toBeGreaterThan(3);
  });
});

describe.skipIf(!hasReference)('the personal values of the evidence', () => {
  const values = hasReference
    ? loadRecords()
        .flatMap((r) => [...personalValues(r.request_example), ...personalValues(r.response_example)])
        .map(([v]) => v)
    : [];

  it('are found: names, employee codes, the address and the mobile number', () => {
    const kinds = hasReference
      ? loadRecords()
          .flatMap((r) => [r.request_example, r.response_example])
          .flatMap((t) => [...(t ?? '').matchAll(/"([^"]+)"\s*:\s*"[^"]+"/g)].map((m) => personalKind(m[1])))
      : [];
    expect(new Set(kinds.filter(Boolean))).toEqual(new Set(['mobile', 'name', 'code', 'address']));
    expect(values.length).toBeGreaterThanOrEqual(7);
  });

  it('are nowhere in the bundle', () => {
    for (const [name, text] of bundleTexts)
      expect(
        values.filter((v) => text.includes(v)),
        name,
      ).toEqual([]);
  });

  // Outside a git checkout (an exported tree) there is no list of the repository's files to scan.
  it.skipIf(!existsSync(join(repoDir, '.git')))('are in no file of the repository', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: repoDir, encoding: 'utf8' }).split('\0').filter(Boolean);
    const hits = files.flatMap((f) => {
      let text;
      try {
        text = readFileSync(join(repoDir, f), 'utf8');
      } catch {
        return []; // listed but deleted in the working tree
      }
      return values.filter((v) => text.includes(v)).map((v) => `${f}: ${v}`);
    });
    expect(hits).toEqual([]);
  });
});
