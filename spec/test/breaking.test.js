// Breaking changes against the last released bundle, and the diff that finds them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowsBreaking, breakingChanges, changeLine, contractChanges } from '../lib/breaking.js';
import { loadBundle, specDir } from './helpers.js';

const current = loadBundle();
const released = JSON.parse(readFileSync(join(specDir, 'released', 'openapi.json'), 'utf8'));
const SEED = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';

describe('the released contract', () => {
  it('is kept, or the version is bumped as semver asks for a breaking change', () => {
    const changes = breakingChanges(released, current);
    const allowed = allowsBreaking(released.info.version, current.info.version);
    expect(
      allowed ? [] : changes,
      `Breaking changes since ${released.info.version}; bump info.version's major number (the minor one below 1.0.0; see docs/releasing.md) or undo them`,
    ).toEqual([]);
  });

  it("keeps info.version and @qzz/spec's version equal", () => {
    const pkg = JSON.parse(readFileSync(join(specDir, 'package.json'), 'utf8'));
    expect(current.info.version).toBe(pkg.version);
    expect(current.info.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });
});

describe('breakingChanges', () => {
  const change = (edit) => {
    const after = structuredClone(current);
    edit(after);
    return breakingChanges(current, after);
  };
  const schemas = (doc) => doc.components.schemas;

  it('finds nothing between a bundle and itself', () => {
    expect(breakingChanges(current, structuredClone(current))).toEqual([]);
  });

  it('reports a removed operation and its actions', () => {
    expect(change((d) => delete d.paths['/mxoc_qm/inspect_query'])).toEqual(
      expect.arrayContaining(['POST /mxoc_qm/inspect_query: operation removed', 'action getInspection: removed']),
    );
  });

  it('reports a removed action and a changed selection', () => {
    const removed = change((d) => d.paths['/mxoc_qwms/push_transfer'].post['x-qzz-actions'].pop());
    expect(removed).toContain('action pushTransferInToOutsourcedInStock: removed');
    const reselected = change((d) => (d.paths[SEED].post['x-qzz-actions'][0].select = { operation: 'pushdown' }));
    expect(reselected[0]).toMatch(/pushOrderExecutionToSparePartsUse: now selected by/);
  });

  it('reports a removed field, in a request and in a response', () => {
    expect(change((d) => delete schemas(d).PushOrderExecutionToSparePartsUseRequest.properties.entryPk)).toEqual([
      'action pushOrderExecutionToSparePartsUse request.entryPk: field removed',
    ]);
    const response = change((d) => delete schemas(d).SparePartsUseMaterialEntry.properties.qty);
    expect(response).toEqual(
      expect.arrayContaining(['action pushOrderExecutionToSparePartsUse response data.material_entity[].qty: field removed']),
    );
  });

  it('reports a removed enum value and a newly required field', () => {
    expect(change((d) => (schemas(d).SaveOrderExecutionRequest.properties.operation.enum = ['save']))).toEqual([
      'action saveOrderExecution request.operation: enum value "audit" removed',
    ]);
    expect(change((d) => schemas(d).PushOrderExecutionToSparePartsUseRequest.required.push('entryPk'))).toEqual([
      'action pushOrderExecutionToSparePartsUse request.entryPk: newly required',
    ]);
  });

  it('reports a response field no longer always present, in the data and in the envelope around it', () => {
    const before = structuredClone(current);
    schemas(before).SparePartsUseBill.required = ['billno'];
    expect(breakingChanges(before, current)).toEqual(
      expect.arrayContaining(['action pushOrderExecutionToSparePartsUse response data.billno: no longer always present']),
    );
    const envelope = change((d) => (schemas(d).BusinessFailure.required = []));
    expect(envelope).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^POST \/app\/mxoc_0001_mxoc_pq\/pq_orderexe_push_backup 200 answer.*success: no longer always present$/),
      ]),
    );
  });

  it('reports a request type narrowed and a response type widened', () => {
    // `name` claims no type (its example shows only null): typing it takes every other type away.
    const narrowed = change((d) => (schemas(d).ProcessData.properties.name.type = ['string', 'null']));
    expect(narrowed).toEqual([
      'action saveProcess request.params.datainfo.name: type narrowed, no longer accepts number, integer, boolean, object, array',
    ]);
    const pattern = change((d) => (schemas(d).DecimalString.pattern = '^[0-9]+$'));
    expect(pattern.some((line) => /pattern changed/.test(line))).toBe(true);
    const widened = change((d) => (schemas(d).SparePartsUseBill.properties.billno.type = ['string', 'null']));
    expect(widened).toEqual(
      expect.arrayContaining(['action pushOrderExecutionToSparePartsUse response data.billno: type widened, may now be null']),
    );
  });

  it('lets compatible changes through: a new optional field, a new action, a wider request type', () => {
    expect(
      change((d) => {
        schemas(d).PushOrderExecutionToExpenseIncomeRequest.properties.note = { type: 'string' };
        schemas(d).ProcessData.properties.number.type = ['string', 'null'];
        schemas(d).SparePartsUseBill.properties.newField = { type: 'string' };
        d.paths[SEED].post['x-qzz-actions'].push({ ...d.paths[SEED].post['x-qzz-actions'][0], name: 'anotherAction' });
      }),
    ).toEqual([]);
  });

  it('allows breaking changes on a new major version, or a new minor one below 1.0.0', () => {
    const allowed = (pairs) => pairs.map(([a, b]) => allowsBreaking(a, b));
    expect(
      allowed([
        ['0.1.0', '0.2.0'],
        ['0.4.1', '1.0.0'],
        ['1.2.3', '2.0.0'],
        ['9.1.0', '10.0.0-rc.1'],
      ]),
    ).toEqual([true, true, true, true]);
    expect(
      allowed([
        ['0.1.0', '0.1.1'],
        ['1.2.3', '1.3.0'],
        ['1.2.3', '1.2.4'],
        ['0.2.0', '0.2.0'],
        ['2.0.0', '1.9.0'],
      ]),
    ).toEqual([false, false, false, false, false]);
  });
});

describe('contractChanges', () => {
  const change = (edit) => {
    const after = structuredClone(current);
    edit(after);
    return contractChanges(current, after);
  };
  const schemas = (doc) => doc.components.schemas;

  it('lists what does not break beside what does, each of its action', () => {
    const changes = change((d) => {
      schemas(d).SparePartsUseBill.properties.newField = { type: 'string' };
      delete schemas(d).PushOrderExecutionToSparePartsUseRequest.properties.entryPk;
      d.paths[SEED].post['x-qzz-actions'].push({ ...d.paths[SEED].post['x-qzz-actions'][0], name: 'anotherAction' });
      delete d.paths[SEED].post.responses['429'];
    });
    const seed = 'pushOrderExecutionToSparePartsUse';
    expect(changes).toEqual(
      expect.arrayContaining([
        { action: seed, operation: `POST ${SEED}`, where: 'response data.newField', change: 'field added', breaking: false },
        { action: seed, operation: `POST ${SEED}`, where: 'request.entryPk', change: 'field removed', breaking: true },
        { action: 'anotherAction', operation: `POST ${SEED}`, where: '', change: 'added', breaking: false },
        { operation: `POST ${SEED}`, where: '', change: 'answer 429 no longer documented', breaking: false },
      ]),
    );
    expect(changes.filter((c) => c.breaking).map(changeLine)).toEqual([
      'action pushOrderExecutionToSparePartsUse request.entryPk: field removed',
    ]);
  });

  it('tells requiredness and types apart by direction', () => {
    const before = structuredClone(current);
    schemas(before).PushOrderExecutionToSparePartsUseRequest.required.push('entryPk');
    schemas(before).SparePartsUseBill.properties.billno.type = ['string', 'null'];
    const lines = contractChanges(before, current).map((c) => `${c.breaking ? '!' : ''}${changeLine(c)}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        'action pushOrderExecutionToSparePartsUse request.entryPk: no longer required',
        'action pushOrderExecutionToSparePartsUse response data.billno: type narrowed, no longer null',
      ]),
    );
  });

  it("lists the seed action's one change from 0.1.0 to 0.2.0, kept in spec/released/history", () => {
    const history = (version) => JSON.parse(readFileSync(join(specDir, 'released', 'history', `${version}.json`), 'utf8'));
    const [v1, v2] = [history('0.1.0'), history('0.2.0')];
    expect([v1.info.version, v2.info.version]).toEqual(['0.1.0', '0.2.0']);
    expect(breakingChanges(v1, v2)).toHaveLength(111);
    expect(
      contractChanges(v1, v2)
        .filter((c) => c.action === 'pushOrderExecutionToSparePartsUse')
        .map(changeLine),
    ).toEqual(['action pushOrderExecutionToSparePartsUse response data.material_entity[].materialid_model: field removed']);
  });
});
