// Every captured vendor record is specified faithfully: its action, route, content type, status, examples and
// labels. Reads ../shared/reference (see helpers.js); skipped where that evidence is absent.
import { describe, expect, it } from 'vitest';
import { deref, listActions, listOperations, resolvePointer } from '../lib/actions.js';
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

/** Every property of a schema and of the schemas it references or composes, as [name, schema] pairs. */
function properties(schema, seen = new Set()) {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return [];
  seen.add(schema);
  const own = Object.entries(schema.properties ?? {});
  const target = schema.$ref ? [resolvePointer(doc, schema.$ref)] : [];
  return [...own, ...[...Object.values(schema), ...target].flatMap((v) => properties(v, seen))];
}

/**
 * The wire names a field-table row may stand for. With `path_from_example`, that path's last name. Else the
 * table writes a field after the object or entity that holds it (`params.operate`, `material_entity.qty`) and a reference's
 * fields with dots (`material_entity.materialid.number`), which the examples flatten
 * (`material_entity[].materialid_number`: every such name of the seed, and `mxoc_applicant_id` of
 * api-55784523); a bare reference (`mxoc_picker`, `unit`) travels as its `_id`, `_number` and `_name`.
 */
function wireNames(row, entities) {
  if (row.path_from_example) return [row.path_from_example.split('.').at(-1)];
  const parts = row.name.split('.');
  while (parts.length > 1 && entities.has(parts[0])) parts.shift();
  const name = parts.join('_');
  return [name, ...['id', 'number', 'name'].map((suffix) => `${name}_${suffix}`)];
}

/** True when the schema at `pointer` reaches the component `target` through its `$ref`s. */
function reaches(pointer, target, seen = new Set()) {
  if (pointer === target) return true;
  if (seen.has(pointer)) return false;
  seen.add(pointer);
  const refs = JSON.stringify(resolvePointer(doc, pointer) ?? {}).matchAll(/"\$ref":"([^"]+)"/g);
  return [...refs].some(([, ref]) => reaches(ref, target, seen));
}

/** The keys an example's text names, also the last one where the capture cut its value off. */
const keysIn = (text) => [...(text ?? '').matchAll(/"([^"\\]+)"\s*:/g)].map((m) => m[1]);

/** True for a description that calls something complete (not an example's "last complete field"). */
const claimsComplete = (text) =>
  /\b(complete|captured whole)\b/i.test(String(text ?? '').replace(/last complete field|otherwise complete/g, ''));

/** Leaf values of `value` as [path, value] pairs. */
function leaves(value, at = '') {
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, `${at}.${k}`));
  return [[at, value]];
}

describe.skipIf(!hasReference)('evidence', () => {
  const records = hasReference ? loadRecords() : [];
  const actions = listActions(doc);
  const recordOf = (action) => records.find((r) => r.source_page === action.source);

  it('has all 17 records', () => expect(records).toHaveLength(17));

  it('calls a schema or an operation complete only where every page it serves is complete', () => {
    const overclaims = [];
    for (const { path, method, operation, actions: own } of listOperations(doc)) {
      if (claimsComplete(operation.description) && !own.every((a) => recordOf(a)?.excerpt_complete))
        overclaims.push(`${method} ${path}: its description`);
    }
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      if (!claimsComplete(schema.description)) continue;
      const pointer = `#/components/schemas/${name}`;
      const serving = actions.filter((a) => [a.request, a.response].some((p) => reaches(p, pointer)));
      if (!serving.every((a) => recordOf(a)?.excerpt_complete)) overclaims.push(`${name}: also serves ${serving.map((a) => a.source)}`);
    }
    expect(overclaims).toEqual([]);
  });

  it("publishes under a description that calls an operation's examples complete none that is partial or a skeleton, unless it names it", () => {
    for (const { path, operation } of listOperations(doc)) {
      if (!claimsComplete(operation.description)) continue;
      for (const media of Object.values(operation.responses['200']?.content ?? {})) {
        for (const [name, ref] of Object.entries(media.examples ?? {})) {
          const example = deref(doc, ref);
          if (example['x-qzz-evidence']) expect(operation.description, `${path} ${name}`).toMatch(new RegExp(`${name}|${example.summary}`));
        }
      }
    }
  });

  it("shows a business failure only as a skeleton: no page shows a failure's body", () => {
    const failures = records.filter((r) => /"success"\s*:\s*false/.test(r.response_example ?? ''));
    expect(failures).toEqual([]);
    const example = doc.components.examples.businessFailure;
    expect(example['x-qzz-evidence']).toBe('skeleton');
    expect(example.description).not.toMatch(/known for certain/);
    // BusinessFailure requires `success: false` (the design's reading) and claims nothing else of the body.
    const schema = doc.components.schemas.BusinessFailure;
    expect(Object.keys(schema.properties)).toEqual(['success']);
  });

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

    it("carries every label the vendor documents, the envelope's on its own operation", () => {
      const request = descriptions(resolvePointer(doc, action.request)).join('\n');
      const response = descriptions(resolvePointer(doc, action.response)).join('\n');
      // The third-party record adds English notes after the label (`表单唯一标识, fixed …`): compare the label.
      const labels = (fields) => (fields ?? []).filter((f) => f.desc).map((f) => f.desc.replace(/\s+/g, ' ').split(/, | \(/)[0]);
      for (const label of labels(record.body_fields)) expect(request, label).toContain(label);
      // 响应状态, 数据实体, 数据集 label the envelope's `success` and `data`: the operation's own overlay carries
      // them (the shared envelope, around every answer, claims no page's label).
      const overlay = operation.responses['200'].content['application/json'].schema.oneOf[0].allOf.find((p) => !p.$ref);
      const envelopeField = (row) => ['success', 'data'].includes(row.name) && row.desc;
      for (const label of labels(record.response_fields?.filter((r) => !envelopeField(r)))) expect(response, label).toContain(label);
      for (const row of record.response_fields?.filter(envelopeField) ?? [])
        expect(String(overlay?.properties?.[row.name]?.description), row.name).toContain(row.desc);
    });

    it('names every field its page shows, in its table or its examples', () => {
      const envelope = operation.responses['200']?.content?.['application/json']?.schema;
      const request = properties({ $ref: action.request });
      const response = [...properties({ $ref: action.response }), ...properties(envelope)];
      const missing = [];
      // A row the capture cut in its name (`material_entity.m…`) names no field.
      const named = (rows) => (rows ?? []).filter((r) => r.name && r.type !== null);
      for (const [rows, props] of [
        [record.body_fields, request],
        [record.response_fields, response],
      ]) {
        const names = new Set(props.map(([n]) => n));
        const entities = new Set(props.filter(([, p]) => ['array', 'object'].includes(deref(doc, p)?.type)).map(([n]) => n));
        for (const row of named(rows)) if (!wireNames(row, entities).some((n) => names.has(n))) missing.push(`table: ${row.name}`);
      }
      const requestNames = new Set(request.map(([n]) => n));
      const responseNames = new Set(response.map(([n]) => n));
      for (const key of keysIn(record.request_example)) if (!requestNames.has(key)) missing.push(`request example: ${key}`);
      for (const key of keysIn(record.response_example)) if (!responseNames.has(key)) missing.push(`response example: ${key}`);
      expect(missing).toEqual([]);
    });

    it('names only the form ids its page shows (`from`, `to`)', () => {
      const text = JSON.stringify(record);
      for (const key of ['from', 'to']) if (action[key] !== undefined) expect(text, key).toContain(`"${action[key]}`);
    });
  });
});
