// The spec claims no more than its evidence (design.md): each `required`, `pattern`, `format`, `enum`, `const`
// and `type` of a request or response schema rests on ../shared/reference. Schemas are mapped to the vendor's
// records through the actions (`source`, `request`, `response`) and walked together with the values the
// record's examples hold at the same place. Every violation is listed at once. Skipped where the evidence is
// absent (see helpers.js). The rules are those of docs/spec-layout.md ("Claims rest on evidence").
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deref, isObject, listActions, listOperations, resolvePointer } from '../lib/actions.js';
import { hasReference, loadBundle, loadRecords, referenceDir, schemaValidator } from './helpers.js';

const doc = loadBundle();
const validator = schemaValidator(doc);

/**
 * A vendor example as far as it goes: most records are cut off mid-JSON (and one has a stray closing brace).
 * Keeps every value that is complete in the text and closes the brackets; never fills anything in.
 * @param {string | null | undefined} text
 * @returns {unknown} undefined when there is no example
 */
function parseLeniently(text) {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Cut points: before a comma, after an opening or closing bracket; each with the brackets still open there.
    /** @type {[number, string[]][]} */
    const cuts = [];
    /** @type {string[]} */
    const open = [];
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === ',') cuts.push([i, [...open]]);
      else if (c === '{' || c === '[') {
        open.push(c === '{' ? '}' : ']');
        cuts.push([i + 1, [...open]]);
      } else if (c === '}' || c === ']') {
        open.pop();
        cuts.push([i + 1, [...open]]);
      }
    }
    for (const [at, closers] of cuts.reverse()) {
      try {
        return JSON.parse(text.slice(0, at) + closers.reverse().join(''));
      } catch {
        // An earlier cut, then.
      }
    }
    return undefined;
  }
}

/**
 * The gateway's own calls and errors are described in prose (gateway.md), not in records. Their evidence is
 * transcribed here: each answer gateway.md shows, as its exact words (checked to be in gateway.md) and the
 * shape they show, keys as given and values only where the text gives them (null where it shows `...`, a
 * placeholder or no JSON at all). `required` lists what the words mark required; `answerKind` the field whose
 * value tells which answer it is (`errcode` 0 = success), which an answer always carries, as a request carries
 * the values that select its action. The walk then holds these schemas to the same rule as the records'.
 * `BusinessFailure` rests on design.md's one sentence about the vendor's "200 异常示例", whose content no
 * capture shows: it claims `success: false` and nothing else.
 */
const proseEvidence = [
  {
    schema: 'KingdeeAuthTokenResponse',
    file: 'gateway.md',
    quote: '{"errcode":0,"description":"成功","data":{"access_token":"...","app-token":"...","expires":<epoch ms [uncertain]>,"uid":...}}',
    shapes: [{ errcode: 0, description: '成功', data: { access_token: null, 'app-token': null, expires: null, uid: null } }],
    answerKind: { errcode: 0 },
  },
  {
    schema: 'PushAppAuthorizeResponse',
    file: 'gateway.md',
    quote: 'Envelope `{"errcode":0,"description":...,"data":[...]}`; some clients also accept `{"code":200,...}` [uncertain]',
    shapes: [{ errcode: 0, description: null, data: [] }, { code: 200 }],
    answerKind: { errcode: 0, code: 200 },
  },
  {
    // The call's URL names both values; gateway.md calls only `uid` optional.
    schema: 'KingdeeAuthTokenQuery',
    file: 'gateway.md',
    quote:
      '`GET https://api.kingdee.com/jdyconnector/app_management/kingdee_auth_token?app_key=<appKey>&app_signature=<sig>`\n   (optional `uid`)',
    shapes: [{ app_key: null, app_signature: null }],
    required: ['app_key', 'app_signature'],
  },
  {
    schema: 'PushAppAuthorizeRequest',
    file: 'gateway.md',
    quote: 'body `{}`',
    shapes: [{}],
  },
  {
    // The error envelope where the sources show one; 404 and 519 are shown as message text only (null: an
    // answer whose body no source shows).
    schema: 'GatewayError',
    file: 'gateway.md',
    quote: 'Gateway envelope: `{"errcode": <int>, "description": <string>, "data": ...}`; 0 = success.',
    shapes: [{ errcode: null, description: null, data: null }, null],
  },
  {
    schema: 'BusinessFailure',
    file: '../design.md',
    quote: 'A business failure can come back\n  as HTTP 200 with `success: false`',
    shapes: [{ success: false }],
    answerKind: { success: false },
  },
];

/**
 * The gateway's own calls take query and header parameters; each one the spec requires is named by a call's
 * URL (whose other values gateway.md calls optional) or by the signing scheme's list of headers.
 */
const proseParameters = [
  {
    path: '/jdyconnector/app_management/kingdee_auth_token',
    names: ['app_key', 'app_signature'],
    quote:
      '`GET https://api.kingdee.com/jdyconnector/app_management/kingdee_auth_token?app_key=<appKey>&app_signature=<sig>`\n   (optional `uid`)',
  },
  {
    path: '/jdyconnector/app_management/push_app_authorize',
    names: ['outerInstanceId'],
    quote: '`POST https://api.kingdee.com/jdyconnector/app_management/push_app_authorize?outerInstanceId=<id>`',
  },
  {
    path: '*',
    names: ['X-Api-Auth-Version', 'X-Api-TimeStamp', 'X-Api-Nonce', 'X-Api-SignHeaders'],
    quote:
      'Headers: `X-Api-ClientID`, `X-Api-Auth-Version: 2.0`, `X-Api-TimeStamp` (epoch ms, valid 5 min),\n`X-Api-Nonce` (random positive integer), `X-Api-SignHeaders: X-Api-TimeStamp,X-Api-Nonce`, `X-Api-Signature`.',
  },
];

/** `schema` after following its `$ref`, with the name of the component it came from, if any. */
function resolve(schema) {
  if (!schema?.$ref) return { node: schema, name: undefined };
  return { node: resolvePointer(doc, schema.$ref), name: schema.$ref.split('/').at(-1) };
}

/** Whether `value` was shown: among the observed values, or named in a vendor label (`操作(save/audit)`). */
const shown = (value, observed, labels) =>
  observed.some((v) => v === value) ||
  (typeof value === 'string' &&
    labels.some((l) => new RegExp(`(^|[^A-Za-z0-9_])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_])`).test(l)));

/** A JSON value's type, as JSON Schema names it (an integral number is an `integer`). */
const jsonType = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/**
 * What the evidence holds at each place of the schemas, gathered over every action that reaches it: the
 * values of its examples there, the names the vendor marks required, the selecting values, the labels and the
 * types the vendor's tables give. A place is a schema object (a property's own schema, or the component an
 * object resolves to), so a shared component answers for every example of it (the envelope, one shape around
 * every answer, for all of them), while `Id` answers at each property that uses it.
 */
class Evidence {
  /** @type {Map<string, { kind: string, where: string, node: object, instances: unknown[], vendorRequired: Set<string>, selected: Set<string>, labels: string[], typed: boolean, types: Set<string>, typeCut: boolean }>} */
  places = new Map();
  /** The components walked. */
  components = new Set();
  #next = 0;
  /** @type {WeakMap<object, number>} */
  #ids = new WeakMap();

  /** The place of `object` (a schema object) in `scope`, for claims of `kind` (`object` or `value`). */
  place(object, scope, kind, where, node) {
    if (!this.#ids.has(object)) this.#ids.set(object, this.#next++);
    const key = `${scope}|${kind}|${this.#ids.get(object)}`;
    let place = this.places.get(key);
    if (!place) {
      place = {
        kind,
        where,
        node,
        instances: [],
        vendorRequired: new Set(),
        selected: new Set(),
        labels: [],
        typed: false,
        types: new Set(),
        typeCut: false,
      };
      this.places.set(key, place);
    }
    return place;
  }

  /**
   * Walks `schema` with the `instances` the evidence holds at the same place. `types` (a record's walk only:
   * prose transcribes no types) gives the types the vendor's table writes for a field.
   * @param {object} schema
   * @param {unknown[]} instances
   * @param {{ where: string, scope?: string, select: unknown, vendorRequired: Set<string>, labels: (name: string) => string[], types?: (name: string) => { types: string[], cut: boolean }, skip?: Set<object> }} ctx
   */
  walk(schema, instances, ctx, depth = 0) {
    const { node, name } = resolve(schema);
    if (!isObject(node) || ctx.skip?.has(node) || depth > 50) return;
    if (node['x-qzz-evidence'] === 'mock') return; // the mock's own answer: its tests hold it, not the vendor's pages
    if (name) this.components.add(name);
    const where = name && !ctx.where.endsWith(name) ? `${ctx.where} (${name})` : ctx.where;
    // A component is one shape wherever it is used, so its evidence is pooled; an operation's own inline
    // schema (its envelope's overlay) answers for each of its actions apart.
    const scope = name ? '' : (ctx.scope ?? '');
    const field = /** @type {string} */ (ctx.where.split('.').at(-1)); // split gives at least one part
    // Object-level claims (required) belong to the component; value-level ones to the property using it.
    const object = this.place(node, scope, 'object', where, node);
    object.instances.push(...instances);
    for (const n of ctx.vendorRequired) object.vendorRequired.add(n);
    if (isObject(ctx.select)) for (const n of Object.keys(ctx.select)) object.selected.add(n);
    // Values are held across operations: the envelope's `success: true` is one fact of the whole API.
    const value = this.place(schema, '', 'value', where, node);
    value.instances.push(...instances);
    value.labels.push(...ctx.labels(field));
    if (ctx.types) {
      const table = ctx.types(field);
      value.typed = true;
      for (const t of [...instances.map(jsonType), ...table.types]) value.types.add(t);
      if (table.cut) value.typeCut = true;
    }

    for (const part of node.allOf ?? []) this.walk(part, instances, { ...ctx, where }, depth + 1);
    for (const branch of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) {
      // A branch answers for the evidence it accepts.
      const accepts = validator.compile(branch);
      this.walk(
        branch,
        instances.filter((v) => accepts(v)),
        { ...ctx, where },
        depth + 1,
      );
    }
    for (const [property, sub] of Object.entries(node.properties ?? {})) {
      const values = instances
        .filter(isObject)
        .filter((v) => property in v)
        .map((v) => v[property]);
      this.walk(
        sub,
        values,
        { ...ctx, where: `${where}.${property}`, select: isObject(ctx.select) ? ctx.select[property] : undefined },
        depth + 1,
      );
    }
    if (node.items)
      this.walk(node.items, instances.filter(Array.isArray).flat(), { ...ctx, where: `${where}[]`, select: undefined }, depth + 1);
  }

  /** Every claim the gathered evidence does not bear out. */
  violations() {
    const out = [];
    for (const place of this.places.values()) {
      const { kind, where, node, instances, vendorRequired, selected, labels } = place;
      const observed = instances.filter((v) => !isObject(v) && !Array.isArray(v));
      if (kind === 'object') {
        // Presence in the examples is not enough: an example shows a field may be sent, not that it must be.
        // `not: {properties: {a: false, b: false}}` requires one of a and b: each is held as a required field.
        const oneOf = Object.entries(node.not?.properties ?? {}).filter(([, sub]) => sub === false);
        for (const required of [...(node.required ?? []), ...oneOf.map(([name]) => name)]) {
          if (!selected.has(required) && !vendorRequired.has(required)) {
            out.push(
              `${where}: \`${required}\` is required, but no source marks it required and it selects neither the action nor the answer`,
            );
          }
        }
        continue;
      }
      if ('const' in node && !shown(node.const, observed, labels))
        out.push(`${where}: const ${JSON.stringify(node.const)} was never observed nor listed by the vendor`);
      for (const value of node.enum ?? []) {
        if (!shown(value, observed, labels))
          out.push(`${where}: enum value ${JSON.stringify(value)} was never observed nor listed by the vendor`);
      }
      for (const keyword of ['pattern', 'format']) {
        if (!(keyword in node)) continue;
        const strings = observed.filter((v) => typeof v === 'string');
        // `""` (unset) fits every pattern here that allows it, so it shows nothing about the pattern.
        if (!strings.some((v) => v !== '')) out.push(`${where}: ${keyword} ${JSON.stringify(node[keyword])} but no value was observed`);
        const check = validator.compile({ type: 'string', [keyword]: node[keyword] });
        for (const value of strings.filter((v) => !check(v)))
          out.push(`${where}: ${keyword} ${JSON.stringify(node[keyword])} refuses the observed ${JSON.stringify(value)}`);
      }
      out.push(...typeViolations(place));
    }
    return [...new Set(out)];
  }
}

/**
 * A `type` names only the JSON types its page shows at that place (the values of its examples, the type its
 * field table writes). `null` alone shows that a field may be unset, not what it holds, and a type the table's
 * cut leaves as a fragment shows nothing: there the schema claims no type at all.
 */
function typeViolations({ where, node, typed, types, typeCut }) {
  if (!typed || !('type' in node)) return [];
  const declared = [node.type].flat();
  if (types.size === 0)
    return typeCut ? [`${where}: type ${JSON.stringify(node.type)}, but the vendor's table cuts its type off: claim none`] : [];
  if ([...types].every((t) => t === 'null'))
    return [`${where}: type ${JSON.stringify(node.type)}, but only \`null\` was shown, which says nothing of the type: claim none`];
  return declared
    .filter((t) => !types.has(t) && !(t === 'number' && types.has('integer')))
    .map((t) => `${where}: type ${t} was never shown (the evidence shows ${[...types].join(', ')})`);
}

/**
 * A vendor field table read by field name (the last segment of a name, as the examples flatten `a.b`): the
 * names it marks required, the labels, and the types it writes (an array's items under `name[]`). A row the
 * capture cut in its type (`s…`, nothing after it) gives no type.
 */
function fieldTable(fields) {
  const rows = (fields ?? []).filter((r) => r.name);
  const last = (row) => (row.path_from_example ?? row.name).split('.').at(-1);
  const typeCut = (row) => row.truncated === true && !row.desc && row.required == null && !row.required_fragment;
  /** `string`, `array [object {15}]`, `array[string]` → the type and its items' type. */
  const parse = (type) => {
    const [, outer, inner] = /^(\w+)\s*(?:\[\s*(\w+))?/.exec(type ?? '') ?? [];
    return { outer: JSON_TYPES.has(outer) ? outer : undefined, inner: JSON_TYPES.has(inner) ? inner : undefined };
  };
  return {
    vendorRequired: new Set(rows.filter((r) => r.required === true).map(last)),
    labels: (name) => rows.filter((r) => last(r) === name && r.desc).map((r) => r.desc),
    types: (name) => {
      const items = name.endsWith('[]');
      const matching = rows.filter((r) => last(r) === name.replace(/\[\]$/, ''));
      const complete = matching.filter((r) => !typeCut(r)).map((r) => parse(r.type)[items ? 'inner' : 'outer']);
      return { types: /** @type {string[]} */ (complete.filter(Boolean)), cut: !items && matching.some(typeCut) };
    },
  };
}

/** The success branch of an operation's 200 answer (the one built on SuccessEnvelope), `data` left out. */
function successEnvelope(operation) {
  const schema = operation.responses?.['200']?.content?.['application/json']?.schema;
  return (schema?.oneOf ?? [schema]).find((b) => b?.allOf?.some((p) => p.$ref === '#/components/schemas/SuccessEnvelope'));
}

describe('parseLeniently', () => {
  it('keeps what is complete in a cut example and closes it', () => {
    expect(parseLeniently('{"a": "1", "b": [{"c": "2", "d": "3')).toEqual({ a: '1', b: [{ c: '2' }] });
    expect(parseLeniently('{"a": {"b": "1"}}\n}')).toEqual({ a: { b: '1' } });
    expect(parseLeniently('{"a": "12')).toEqual({});
    expect(parseLeniently('{"a": "x\\",y", "b": ')).toEqual({ a: 'x",y' });
    expect(parseLeniently(null)).toBeUndefined();
  });
});

describe('the walk', () => {
  /**
   * @param {object} schema
   * @param {unknown[]} instances
   * @param {{ select?: unknown, vendorRequired?: Set<string>, labels?: string[], table?: object[] }} [evidence] `table`: field-table rows
   */
  const run = (schema, instances, { select, vendorRequired = new Set(), labels = [], table = [] } = {}) => {
    const evidence = new Evidence();
    evidence.walk(schema, instances, { where: 'S', select, vendorRequired, labels: () => labels, types: fieldTable(table).types });
    return evidence.violations();
  };

  it('holds a required field to the vendor or a selector, never to its examples alone', () => {
    const schema = { type: 'object', required: ['a'], properties: { a: { type: 'string' } } };
    expect(run(schema, [{ a: 'x' }, {}])).toHaveLength(1);
    expect(run(schema, [])).toHaveLength(1);
    // Every example has it: still not required (an example shows it may be sent, not that it must be).
    expect(run(schema, [{ a: 'x' }])).toHaveLength(1);
    expect(run(schema, [], { select: { a: 'x' } })).toEqual([]);
    expect(run(schema, [], { vendorRequired: new Set(['a']) })).toEqual([]);
  });

  it('holds a type to the types shown: no type on a field shown only as null or typed by a cut table row', () => {
    const schema = (a) => ({ type: 'object', properties: { a } });
    expect(run(schema({ type: ['string', 'null'] }), [{ a: null }])).toEqual([
      'S.a: type ["string","null"], but only `null` was shown, which says nothing of the type: claim none',
    ]);
    expect(run(schema({ type: 'null' }), [{}], { table: [{ name: 'a', type: 'null' }] })).toHaveLength(1);
    expect(run(schema({}), [{ a: null }])).toEqual([]);
    expect(run(schema({ type: ['string', 'null'] }), [{}], { table: [{ name: 'a', type: 'string' }] })).toEqual([
      'S.a: type null was never shown (the evidence shows string)',
    ]);
    expect(run(schema({ type: 'string' }), [{}], { table: [{ name: 'a', type: 's', truncated: true }] })).toHaveLength(1);
    expect(run(schema({ type: 'string' }), [{}], { table: [{ name: 'a', type: 'string', desc: '币', truncated: true }] })).toEqual([]);
    expect(
      run(schema({ type: 'array', items: { type: 'object' } }), [{}], { table: [{ name: 'a', type: 'array [object {15}]' }] }),
    ).toEqual([]);
    expect(
      run(schema({ type: 'array', items: { type: 'string' } }), [{}], { table: [{ name: 'a', type: 'array [object {15}]' }] }),
    ).toHaveLength(1);
    // Nothing shown at all: the walk has nothing to hold the type to.
    expect(run(schema({ type: 'string' }), [{}])).toEqual([]);
  });

  it('holds a pattern to observed values, and an enum or const to observed or listed ones', () => {
    const schema = { type: 'object', properties: { a: { type: 'string', pattern: '^[0-9]+$' }, b: { enum: ['save', 'audit'] } } };
    expect(run(schema, [{ a: '1', b: 'save' }])).toEqual(['S.b: enum value "audit" was never observed nor listed by the vendor']);
    expect(run(schema, [{ a: 'x' }])).toContain('S.a: pattern "^[0-9]+$" refuses the observed "x"');
    expect(run(schema, [{}])).toContain('S.a: pattern "^[0-9]+$" but no value was observed');
    const orEmpty = { type: 'object', properties: { a: { type: 'string', pattern: '^([0-9]+)?$' } } };
    expect(run(orEmpty, [{ a: '' }])).toEqual(['S.a: pattern "^([0-9]+)?$" but no value was observed']);
    expect(run(orEmpty, [{ a: '' }, { a: '12' }])).toEqual([]);
    expect(run({ properties: { op: { const: 'push' } } }, [{}], { labels: ['操作下推(push)'] })).toEqual([]);
    expect(run({ properties: { op: { const: 'push' } } }, [{}], { labels: ['操作标识'] })).toHaveLength(1);
  });

  it('lets a shared component answer for all its examples, and a shared value type only where it is used', () => {
    const doc2 = { type: 'object', properties: { a: { $ref: '#/components/schemas/Id' }, b: { $ref: '#/components/schemas/Id' } } };
    expect(run(doc2, [{ a: '1' }])).toEqual([expect.stringMatching(/^S\.b \(Id\): pattern .* but no value was observed$/)]);
  });
});

describe.skipIf(!hasReference)('every constraint rests on the evidence', () => {
  const records = hasReference ? loadRecords() : [];
  const bySource = new Map(records.map((r) => [r.source_page, r]));

  it('holds for every action of a vendor record: request, response data and envelope', () => {
    const evidence = new Evidence();
    const violations = [];
    for (const action of listActions(doc).filter((a) => a.source !== 'gateway')) {
      const record = bySource.get(action.source);
      if (!record) {
        violations.push(`${action.name}: no record ${action.source}`);
        continue;
      }
      const request = parseLeniently(record.request_example);
      const response = parseLeniently(record.response_example);
      const operation = doc.paths[action.path][action.method];
      const req = fieldTable(record.body_fields);
      const res = fieldTable(record.response_fields);
      evidence.walk({ $ref: action.request }, request === undefined ? [] : [request], {
        where: `${action.name} request`,
        select: action.select,
        ...req,
      });
      const data = isObject(response) && 'data' in response ? [response.data] : [];
      evidence.walk({ $ref: action.response }, data, { where: `${action.name} response data`, select: undefined, ...res });
      const envelope = successEnvelope(operation);
      // `data` is the action's own schema, walked above. The envelope itself is one shape around every answer,
      // so the pages' evidence for it is pooled (api-50317046 marks success, reachPlugin and data required);
      // an operation's own overlay answers for each of its actions apart.
      const skip = new Set(
        envelope.allOf
          .filter((p) => !p.$ref)
          .map((p) => p.properties?.data)
          .filter(Boolean)
          .flatMap((d) => [d, ...(d.anyOf ?? []), ...(d.oneOf ?? [])].map((s) => resolve(s).node)),
      );
      evidence.walk(envelope, response === undefined ? [] : [response], {
        where: `${action.method.toUpperCase()} ${action.path} envelope`,
        scope: action.name,
        select: undefined,
        skip,
        ...res,
      });
    }
    expect([...violations, ...evidence.violations()]).toEqual([]);
  });

  it("holds for the gateway's schemas, against the answers gateway.md shows", () => {
    const evidence = new Evidence();
    const violations = [];
    for (const { schema, file, quote, shapes, required = [], answerKind } of proseEvidence) {
      const path = join(referenceDir, file);
      if (!existsSync(path)) continue; // design.md sits beside the reference, not in it, where QZZ_REFERENCE_DIR moves it
      const text = readFileSync(path, 'utf8');
      if (!text.includes(quote)) violations.push(`${schema}: ${file} does not say ${JSON.stringify(quote)}`);
      const keys = (v) => (isObject(v) ? Object.entries(v).flatMap(([k, w]) => [k, ...keys(w)]) : []);
      for (const k of shapes.flatMap(keys))
        if (![`"${k}"`, `${k}:`, `${k}=`].some((form) => quote.includes(form))) violations.push(`${schema}: the quote shows no "${k}"`);
      evidence.walk({ $ref: `#/components/schemas/${schema}` }, shapes, {
        where: schema,
        select: answerKind,
        vendorRequired: new Set(required),
        labels: () => [],
      });
    }
    // Every parameter the gateway's calls require is named by the words of gateway.md.
    for (const { quote } of proseParameters)
      if (!readFileSync(join(referenceDir, 'gateway.md'), 'utf8').includes(quote))
        violations.push(`gateway.md does not say ${JSON.stringify(quote)}`);
    for (const { path, operation } of listOperations(doc).filter((o) => o.signed)) {
      for (const parameter of (operation.parameters ?? []).map((p) => deref(doc, p)).filter((p) => p.required)) {
        const named = proseParameters.some((t) => (t.path === path || t.path === '*') && t.names.includes(parameter.name));
        if (!named) violations.push(`${path}: parameter ${parameter.name} is required, but no words of gateway.md require it`);
      }
    }
    // Every schema of the gateway's calls and error answers is held by the transcriptions above.
    const covered = evidence.components;
    const gatewaySchemas = listActions(doc)
      .filter((a) => a.source === 'gateway')
      .flatMap((a) => [a.request, a.response])
      .filter((p) => p.startsWith('#/components/schemas/'))
      .map((p) => p.split('/').at(-1));
    for (const name of [...gatewaySchemas, 'GatewayError', 'BusinessFailure'])
      if (!covered.has(name)) violations.push(`${name}: no transcription of its evidence`);
    expect([...violations, ...evidence.violations()]).toEqual([]);
  });
});

/** The keywords a schema of the spec may use: structure, annotations, and the claims the walk above holds. */
const HELD_KEYWORDS = new Set([
  ...['$ref', 'type', 'properties', 'items', 'allOf', 'anyOf', 'oneOf', 'not', 'contentMediaType', 'contentSchema'],
  ...['title', 'description', 'examples', 'default'],
  ...['required', 'pattern', 'format', 'enum', 'const'],
]);

/**
 * Every schema object of the bundle (components, and inline in parameters and media types), with where it is;
 * the mock's own answer (`x-qzz-evidence: mock`), which rests on the mock, not on the vendor, left out.
 */
function allSchemas() {
  const out = [];
  const visit = (schema, where) => {
    if (!isObject(schema)) return;
    out.push([where, schema]);
    for (const [name, sub] of Object.entries(schema.properties ?? {})) visit(sub, `${where}.${name}`);
    for (const key of ['items', 'not', 'contentSchema']) visit(schema[key], `${where}.${key}`);
    for (const key of ['allOf', 'anyOf', 'oneOf'])
      for (const [i, sub] of (schema[key] ?? []).entries()) visit(sub, `${where}.${key}[${i}]`);
  };
  for (const [name, schema] of Object.entries(doc.components.schemas)) if (schema['x-qzz-evidence'] !== 'mock') visit(schema, name);
  for (const [name, parameter] of Object.entries(doc.components.parameters ?? {})) visit(parameter.schema, `parameter ${name}`);
  for (const { method, path, operation } of listOperations(doc)) {
    const at = `${method.toUpperCase()} ${path}`;
    for (const parameter of operation.parameters ?? []) if (!parameter.$ref) visit(parameter.schema, `${at} parameter ${parameter.name}`);
    for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) visit(media.schema, `${at} request ${type}`);
    for (const [status, response] of Object.entries(operation.responses ?? {}))
      for (const [type, media] of Object.entries(deref(doc, response)?.content ?? {})) visit(media.schema, `${at} ${status} ${type}`);
  }
  return out;
}

describe('the constraints a schema can make', () => {
  it('are only those the walk holds to the evidence (maxProperties, minLength, additionalProperties: false… are not)', () => {
    const unheld = allSchemas().flatMap(([where, schema]) =>
      Object.keys(schema)
        .filter((key) => !HELD_KEYWORDS.has(key) && !key.startsWith('x-'))
        .map((key) => `${where}: ${key}`),
    );
    expect(unheld).toEqual([]);
  });
});

describe("the mock's own answers", () => {
  it("are never an action's request or response, nor a 200 answer", () => {
    const mockOnly = Object.entries(doc.components.schemas)
      .filter(([, s]) => s['x-qzz-evidence'] === 'mock')
      .map(([n]) => `#/components/schemas/${n}`);
    const actionSchemas = new Set(listActions(doc).flatMap((a) => [a.request, a.response]));
    expect(mockOnly.filter((p) => actionSchemas.has(p))).toEqual([]);
    for (const { operation } of listOperations(doc)) {
      const ok = operation.responses['200']?.content?.['application/json']?.schema;
      expect(JSON.stringify(ok ?? {})).not.toMatch(/"x-qzz-evidence":"mock"/);
    }
  });
});
