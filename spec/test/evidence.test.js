// Every captured vendor record is specified faithfully: its action, route, content type, status, examples and
// labels. Reads ../shared/reference (see helpers.js); skipped where that evidence is absent.
import { describe, expect, it } from 'vitest';
import { deref, listActions, resolvePointer } from '../lib/actions.js';
import { maskText } from '../lib/personal.js';
import { hasReference, loadBundle, loadRecords } from './helpers.js';

const doc = loadBundle();

/** Every description in a schema and the schemas it references, whitespace-normalised. */
function descriptions(schema, seen = new Set()) {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return [];
  seen.add(schema);
  const own = typeof schema.description === 'string' ? [schema.description.replace(/\s+/g, ' ')] : [];
  const target = schema.$ref ? [resolvePointer(doc, schema.$ref)] : [];
  return [...own, ...[...Object.values(schema), ...target].flatMap((v) => descriptions(v, seen))];
}

/** Leaf values of `value` as [path, value] pairs. */
function leaves(value, at = '') {
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, `${at}.${k}`));
  return [[at, value]];
}

describe.skipIf(!hasReference)('evidence', () => {
  const records = hasReference ? loadRecords() : [];
  const actions = listActions(doc);

  it('has all 17 records', () => expect(records).toHaveLength(17));

  describe.each(records.map((r) => [r.source_page, r]))('%s', (source, record) => {
    const action = actions.find((a) => a.source === source);
    const operation = action && doc.paths[action.path][action.method];

    it('is one action, on its wire path, with the vendor title and status', () => {
      expect(action).toBeDefined();
      expect(action.summary).toBe(record.title);
      expect(action.method).toBe(record.method.toLowerCase());
      expect(action.path).toBe(record.path.startsWith('http') ? new URL(record.path).pathname : record.path);
      expect(action.status).toBe(record.status === '开发中' ? 'in-development' : 'stable');
      expect(action.tag).toBe(record.module);
    });

    it('takes the content type the vendor documents', () => {
      expect(Object.keys(operation.requestBody.content)).toEqual([record.body_content_type]);
    });

    it('keeps the request example faithful', () => {
      const media = Object.values(operation.requestBody.content)[0];
      const example = deref(doc, media.examples[action.examples.request]);
      const value = typeof example.value === 'string' ? JSON.parse(example.value) : example.value;
      if (!record.request_example) {
        expect(example['x-qzz-evidence']).toBe('skeleton');
        return;
      }
      // Faithful with personal data masked (lib/personal.js): the vendor's text, masked, is the truth.
      const vendor = maskText(record.request_example);
      let whole;
      try {
        whole = JSON.parse(vendor);
      } catch {
        // Cut off (or, once, followed by a stray brace): every kept value must be in the vendor's text.
        for (const [path, leaf] of leaves(value)) {
          const key = path.split('.').at(-1);
          if (!/^[0-9]+$/.test(key)) expect(vendor, path).toContain(`"${key}"`);
          expect(vendor, path).toContain(JSON.stringify(leaf).replace(/^"|"$/g, ''));
        }
        return;
      }
      expect(value).toEqual(whole);
    });

    it('keeps the response example faithful, with personal data masked', () => {
      const name = action.examples.response;
      if (!record.response_example) return expect(name).toBeUndefined();
      const media = operation.responses['200'].content['application/json'];
      const value = deref(doc, media.examples[name]).value;
      const vendor = maskText(record.response_example);
      if (record.excerpt_complete) return expect(value).toEqual(JSON.parse(vendor));
      for (const [path, leaf] of leaves(value)) expect(vendor, path).toContain(JSON.stringify(leaf));
    });

    it('carries every label the vendor documents', () => {
      const request = descriptions(resolvePointer(doc, action.request)).join('\n');
      const response = descriptions(resolvePointer(doc, action.response)).join('\n');
      // The third-party record adds English notes after the label (`表单唯一标识, fixed …`): compare the label.
      const labels = (fields) => (fields ?? []).filter((f) => f.desc).map((f) => f.desc.replace(/\s+/g, ' ').split(/, | \(/)[0]);
      for (const label of labels(record.body_fields)) expect(request, label).toContain(label);
      // 数据集/数据实体/响应状态 label the envelope, which the action's `data` schema does not repeat.
      const envelope = descriptions(doc.components.schemas.SuccessEnvelope).join('\n');
      for (const label of labels(record.response_fields))
        expect(`${response}\n${envelope}`, label).toContain(label.replace(/^数据集$/, '数据'));
    });
  });
});
