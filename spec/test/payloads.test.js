// Payloads that are not in the reference: real-shaped ones must validate, broken ones must not.
import { describe, expect, it } from 'vitest';
import { deref, listActions, listOperations, resolvePointer } from '../lib/actions.js';
import { loadBundle, schemaValidator, validateMedia } from './helpers.js';

const doc = loadBundle();
const validator = schemaValidator(doc);

/** The request media type of the operation on `path`: [contentType, schema]. */
function requestMedia(path) {
  const [type, media] = Object.entries(doc.paths[path].post.requestBody.content)[0];
  return { type, schema: media.schema };
}
/** Validates a body object against the operation's request schema, sent the way the vendor documents it. */
function check(path, body) {
  const { type, schema } = requestMedia(path);
  return validateMedia(validator, schema, type === 'text/plain' ? JSON.stringify(body) : body);
}
const responseSchema = (path) => doc.paths[path].post.responses['200'].content['application/json'].schema;

const actionsWithBodies = listActions(doc)
  .filter((a) => a.method === 'post' && doc.paths[a.path].post.requestBody.content)
  .map((a) => {
    const { type } = requestMedia(a.path);
    const media = Object.values(doc.paths[a.path].post.requestBody.content)[0];
    const value = deref(doc, media.examples[a.examples.request]).value;
    return { ...a, body: type === 'text/plain' ? JSON.parse(value) : value };
  });

/** Paths to every string in `body` that looks like an id (digits, 6 to 19 of them). */
function idPaths(body, at = []) {
  if (Array.isArray(body)) return body.flatMap((v, i) => idPaths(v, [...at, i]));
  if (body && typeof body === 'object') return Object.entries(body).flatMap(([k, v]) => idPaths(v, [...at, k]));
  return typeof body === 'string' && /^-?[0-9]{6,19}$/.test(body) ? [at] : [];
}
function setAt(body, path, value) {
  const copy = structuredClone(body);
  path.slice(0, -1).reduce((node, key) => node[key], copy)[path.at(-1)] = value;
  return copy;
}

describe('broken payloads are rejected', () => {
  const missing = actionsWithBodies.flatMap((a) => (resolvePointer(doc, a.request).required ?? []).map((field) => [a.name, field, a]));
  it('has required fields to drop', () => expect(missing.length).toBeGreaterThan(10));
  // Against the action's own schema: on a shared path the remaining body may well be another action's.
  it.each(missing)('%s without `%s`', (_name, field, action) => {
    const { [field]: _dropped, ...body } = action.body;
    expect(validator.compile(action.request)(body)).toBe(false);
  });

  const numericIds = actionsWithBodies.flatMap((a) => idPaths(a.body).map((p) => [a.name, p.join('.'), a, p]));
  it('has ids to break', () => expect(numericIds.length).toBeGreaterThan(20));
  it.each(numericIds)('%s with `%s` sent as a JSON number', (_name, _where, action, path) => {
    const value = path.reduce((node, key) => node[key], action.body);
    expect(check(action.path, setAt(action.body, path, Number(value)))).not.toEqual([]);
  });

  it('accepts a field no page documents, even on a fully documented request: no page says the vendor refuses one', () => {
    const body = { operation: 'push', entryPk: '1634800180022794240', billdata: { id: '1634800180022794240' }, extra: 'x' };
    expect(check('/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup', body)).toEqual([]);
  });

  it('rejects a push no action of its path describes', () => {
    const body = { operation: 'push', formid: 'mxoc_om_receiplist', push: 'mxoc_unknown_bill', billdata: { id: '1504361460845790208' } };
    expect(check('/mxoc_om_ext/om_operate', body)).not.toEqual([]);
  });

  it('rejects a quantity that is not decimal text, and a date in another format', () => {
    const path = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
    const ok = {
      success: true,
      reachPlugin: true,
      errorCode: 'success',
      data: { billno: 'BJLL-20240102-0007', material_entity: [{ qty: '2.5000000000' }] },
    };
    expect(validateMedia(validator, responseSchema(path), ok)).toEqual([]);
    const badQty = /** @type {any} */ (structuredClone(ok)); // made ill-typed on purpose
    badQty.data.material_entity[0].qty = 2.5;
    expect(validateMedia(validator, responseSchema(path), badQty)).not.toEqual([]);
    const badDate = structuredClone(ok);
    badDate.data.billdate = '2024/01/02';
    expect(validateMedia(validator, responseSchema(path), badDate)).not.toEqual([]);
  });

  it('rejects a text/plain body that is not JSON text', () => {
    const { schema } = requestMedia('/mxoc_0001_mxoc_pq/backup_query');
    expect(validateMedia(validator, schema, '{"id": "1591518046361500672"')).not.toEqual([]);
    expect(validateMedia(validator, schema, JSON.stringify({ id: 1591518046361500672 }))).not.toEqual([]);
  });
});

describe("a 200 answer that is not the API's own fails every operation's 200 schema", () => {
  const operations = listOperations(doc).filter(({ operation }) => operation.responses['200']);
  const ok = (operation) => deref(doc, operation.responses['200']).content['application/json'].schema;
  // The mock's own 401 answer, built from its schema's example (the shape the mock sends).
  const mock401 = { errcode: 401, description: 'Missing credentials: groupName.', missing: ['groupName'] };
  const notAnAnswer = [
    ['an empty object', {}],
    ['null', null],
    ['an array', []],
    ['a string', 'ok'],
    ['the envelope without success', { reachPlugin: true, errorCode: 'success', data: {} }],
    ['only data', { data: { id: '1634800180022794240' } }],
    ['success as text', { success: 'true', reachPlugin: true, errorCode: 'success', data: {} }],
  ];
  // The vendor's envelope (business calls) is not the gateway's: its error envelope is not a 200 answer there.
  const notTheVendors = [
    ["the mock's own 401 answer", mock401],
    ["the gateway's error envelope", { errcode: 2000002000, description: '系统错误' }],
    ['success alone, without the fields api-50317046 marks required', { success: true }],
  ];

  it('has operations and documented 200 examples to hold it against', () => {
    expect(operations.length).toBe(listOperations(doc).length);
  });

  it.each(
    operations.flatMap(({ method, path, operation }) => notAnAnswer.map(([what, body]) => [`${method} ${path}`, what, operation, body])),
  )('%s refuses %s', (_where, _what, operation, body) => {
    expect(validateMedia(validator, ok(operation), body)).not.toEqual([]);
  });

  it.each(
    operations
      .filter(({ signed }) => !signed)
      .flatMap(({ method, path, operation }) => notTheVendors.map(([what, body]) => [`${method} ${path}`, what, operation, body])),
  )('%s refuses %s', (_where, _what, operation, body) => {
    expect(validateMedia(validator, ok(operation), body)).not.toEqual([]);
  });

  it.each(
    operations.flatMap(({ method, path, operation }) =>
      Object.entries(deref(doc, operation.responses['200']).content['application/json'].examples ?? {}).map(([name, example]) => [
        `${method} ${path}`,
        name,
        operation,
        deref(doc, example).value,
      ]),
    ),
  )('%s still takes its documented example %s', (_where, _name, operation, value) => {
    expect(validateMedia(validator, ok(operation), value)).toEqual([]);
  });
});

describe('real-shaped payloads that are not in the reference validate', () => {
  it.each([
    [
      'a push of another order execution',
      '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup',
      { operation: 'push', entryPk: '1700000000000000001', billdata: { id: '1700000000000000001' } },
    ],
    [
      'an expense income push without the optional fields',
      '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_income',
      { billdata: { id: '1700000000000000002' } },
    ],
    [
      'an audit of a production return-to-stock bill',
      '/mxoc_pom/pomsaveandaudit',
      { operation: 'audit', formid: 'mxoc_pom_retstocknew', billdata: { id: '1919534905990075392', billstatus: 'B', material_entity: [] } },
    ],
    [
      'a production order save with more fields than the page shows',
      '/mxoc_pom/pomsaveandaudit',
      {
        operation: 'save',
        formid: 'some_order_form',
        billdata: { id: '0', billdate: '2024-05-01 00:00:00', mxoc_manualbackflush: false, entry: [{ qty: '3' }], extra_field: 'kept' },
      },
    ],
    [
      'a scrap push of another bill',
      '/mxoc_pom/pomsaveandaudit',
      { operation: 'push', formid: 'mxoc_pom_mftstock', push: 'mxoc_pom_scrap', billdata: { id: '1487780914778882049' } },
    ],
    [
      'a second page of production in-stock bills',
      '/mxoc_pom/mxoc_pom_instocknew_query',
      { formId: 'mxoc_pom_instocknew', pageSize: '50', pageIndex: '2', search: 'SCRK', billstatus: 'C', dateSearch: 'all' },
    ],
    [
      'a receipt-notice audit',
      '/mxoc_om_ext/om_operate',
      { operation: 'audit', formid: 'mxoc_om_receiplist', billdata: { id: '1504361460845790208', billstatus: 'C' } },
    ],
    [
      'a transfer push with a negative entry id',
      '/mxoc_qwms/push_transfer',
      {
        srcEntity: 'mxoc_process_transferin',
        tarEntity: 'mxoc_om_instock',
        billid: '1954356591125984257',
        entryid: '-1269011930093682877',
        entryentity: 'entryentity',
      },
    ],
    ['an inspection lookup', '/mxoc_qm/inspect_query', { id: '1895048896518849537' }],
    ['a spare-parts lookup as text/plain JSON', '/mxoc_0001_mxoc_pq/backup_query', { id: '1591518046361500673' }],
    [
      'a process save with a null name',
      '/mxocminimes/mxoc_pdm/ProcessOpApi',
      {
        params: {
          operate: 'save',
          datainfo: { id: '0', number: 'GX-0001', name: null, status: 'A', entryentity: [], mxoc_hourlyprice: '12.5' },
        },
      },
    ],
  ])('%s', (_label, path, body) => {
    expect(check(path, body)).toEqual([]);
  });

  it('a spare-parts answer with fields the example lacks', () => {
    const path = '/mxoc_0001_mxoc_pq/backup_query';
    const answer = {
      success: true,
      reachPlugin: true,
      errorCode: 'success',
      data: {
        id: '1591518046361500672',
        billno: 'BJLL-20221112-0003',
        billdate: '2022-11-12 00:00:00',
        new_vendor_field: 'x',
        material_entity: [{ qty: '1.0000000000', materialid_number: 'WL-001', materialid_model: 'M8' }],
      },
    };
    expect(validateMedia(validator, responseSchema(path), answer)).toEqual([]);
  });

  it('a business failure with a message the vendor may send', () => {
    const answer = { success: false, reachPlugin: true, errorCode: 'failed', message: '单据不存在', data: null };
    expect(validateMedia(validator, responseSchema('/mxoc_qm/inspect_query'), answer)).toEqual([]);
  });
});
