// check({ upstream }) against a stand-in tenant the repository owns (test/standin.js): what reaches the tenant,
// and each verdict. Waits are asked of an injected `sleep`, so no test waits for real time.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { effectOf, listActions } from '@qzz/spec/actions';
import { afterEach, describe, expect, it } from 'vitest';
import { check } from '../src/index.js';
import { planActions } from '../src/plan.js';
import { AUTH_PATHS, FAST, json, KINGDEE_ENV, TOKEN_ENV, tenantsClosedAfterEach } from './standin.js';

const specPath = fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
const doc = JSON.parse(await readFile(specPath, 'utf8'));
const actions = listActions(doc);
const byName = new Map(actions.map((a) => [a.name, a]));
const QUERY = byName.get('queryProductionInStock');
const WRITING = actions.filter((a) => effectOf(a.kind) === 'write' && !a.signed).map((a) => a.name);
const PUSHES = actions.filter((a) => a.kind === 'push').map((a) => a.name);

/** A bill id of this test's own: never one of the vendor's examples. */
const OWN_ID = '1000000000000000001';
/** An input for every push and read, with ids of our own in the places the example holds ids. */
const OWN_INPUTS = {
  getInspection: { id: OWN_ID },
  getSparePartsUse: { id: OWN_ID },
  pushProductionInStockToScrap: { billdata: { id: OWN_ID } },
  pushReceiptNoticeToOutsourcedInStock: { billdata: { id: OWN_ID } },
  pushOutsourcedMaterialsToPick: { billdata: { id: OWN_ID } },
  pushTransferInToProductionInStock: { billid: OWN_ID, entryid: '1000000000000000002', entryentity: 'entryentity' },
  pushTransferInToOutsourcedInStock: { billid: OWN_ID, entryid: '1000000000000000002', entryentity: 'entryentity' },
  pushOrderExecutionToSparePartsUse: { entryPk: OWN_ID, billdata: { id: OWN_ID } },
  pushOrderExecutionToExpenseIncome: { entryPk: OWN_ID, billdata: { id: OWN_ID } },
  pushProjectPlanToSparePartsUse: { entryPk: OWN_ID, billdata: { id: OWN_ID } },
  // An input for a save is given too: it must still never be sent.
  saveOrderExecution: { billdata: {} },
};

const tenant = tenantsClosedAfterEach(afterEach);
const verdictOf = (result, name) => result.verdicts.find((v) => v.action === name);

describe('what reaches the tenant', () => {
  it('by default: the queries it has input for, never a save, audit or push', async () => {
    const t = await tenant();
    const result = await check({ upstream: t.url, env: TOKEN_ENV, ...FAST });
    expect(t.business().map((r) => r.action)).toEqual(['queryProductionInStock']);
    expect(result.calls).toBe(1);
    expect(result.exitCode).toBe(0);
    expect(verdictOf(result, 'queryProductionInStock')).toMatchObject({
      verdict: 'matches',
      source: 'upstream',
      route: `POST ${QUERY.wirePath}`,
    });
    for (const name of WRITING) expect(verdictOf(result, name)).toMatchObject({ verdict: 'not-run', reason: 'writes' });
    for (const name of PUSHES)
      expect(verdictOf(result, name)).toMatchObject({ verdict: 'not-run', reason: 'pushes run only with --allow-push' });
    expect(result.verdicts.map((v) => v.action).sort()).toEqual(actions.map((a) => a.name).sort());
  });

  it('with every input and --allow-push: each push and read once, still never a save or an audit', async () => {
    const t = await tenant();
    const result = await check({ upstream: t.url, env: TOKEN_ENV, allowPush: true, inputs: OWN_INPUTS, ...FAST });
    const reached = t.business().map((r) => r.action);
    expect(reached.toSorted()).toEqual(['queryProductionInStock', 'getInspection', 'getSparePartsUse', ...PUSHES].toSorted());
    for (const name of WRITING) expect(reached).not.toContain(name);
    expect(result.calls).toBe(reached.length);
    for (const name of PUSHES) expect(verdictOf(result, name).verdict).toBe('matches');
    expect(verdictOf(result, 'saveOrderExecution')).toMatchObject({ verdict: 'not-run', reason: 'writes' });
    // The documented example ids never reached it.
    for (const r of t.business()) expect(r.text).not.toMatch(/1634800180022794240|1895048896518849536|1591518046361500672/);
  });

  it('an input that carries a documented example id is not sent', async () => {
    const t = await tenant();
    const result = await check({ upstream: t.url, env: TOKEN_ENV, inputs: { getInspection: { id: '1895048896518849536' } }, ...FAST });
    expect(t.business().map((r) => r.action)).toEqual(['queryProductionInStock']);
    expect(verdictOf(result, 'getInspection').reason).toMatch(/documented example id at \/id/);
  });

  it('an action of a kind the check does not know is a write: never sent, even with its input', async () => {
    // A copy of the bundle in which the travel application's audit is of a kind no code knows yet.
    const copy = structuredClone(doc);
    const operation = copy.paths[byName.get('auditTravelApplication').path].post;
    operation['x-qzz-actions'].find((a) => a.name === 'auditTravelApplication').kind = 'unaudit';
    const dir = await mkdtemp(join(tmpdir(), 'qzz-check-'));
    await writeFile(join(dir, 'openapi.json'), JSON.stringify(copy));
    const t = await tenant();
    const result = await check({
      upstream: t.url,
      env: TOKEN_ENV,
      spec: join(dir, 'openapi.json'),
      allowPush: true,
      inputs: { auditTravelApplication: { operation: 'audit', formid: 'mxoc_travelapply', billdata: { id: OWN_ID } } },
      ...FAST,
    });
    expect(t.business().map((r) => r.path)).not.toContain(byName.get('auditTravelApplication').wirePath);
    expect(verdictOf(result, 'auditTravelApplication')).toMatchObject({ verdict: 'not-run', reason: 'writes' });
  });

  it('a query answer supplies the source bill of a push whose `from` it lists', async () => {
    // A copy of the bundle in which the scrap push's source form is the one the in-stock query lists.
    const copy = structuredClone(doc);
    const operation = copy.paths['/mxoc_pom/pomsaveandaudit'].post;
    operation['x-qzz-actions'].find((a) => a.name === 'pushProductionInStockToScrap').from = 'mxoc_pom_instocknew';
    const dir = await mkdtemp(join(tmpdir(), 'qzz-check-'));
    await writeFile(join(dir, 'openapi.json'), JSON.stringify(copy));
    const listed = '1777777777777777777';
    const t = await tenant({
      overrides: {
        [QUERY.wirePath]: (_r, res) =>
          json(res, 200, {
            success: true,
            reachPlugin: true,
            errorCode: 'success',
            data: { rows: [{ id: '0' }, { id: listed, billno: 'X' }] },
          }),
      },
    });
    const result = await check({ upstream: t.url, env: TOKEN_ENV, spec: join(dir, 'openapi.json'), allowPush: true, ...FAST });
    const push = t.business().find((r) => r.path === '/mxoc_pom/pomsaveandaudit');
    expect(push?.body).toMatchObject({ operation: 'push', formid: 'mxoc_pom_mftstock', push: 'mxoc_pom_scrap', billdata: { id: listed } });
    expect(verdictOf(result, 'pushProductionInStockToScrap').verdict).not.toBe('not-run');
  });
});

describe('what the spec lets a run fill in today', () => {
  it('no query lists a push’s source: every read and push needs --input, as the README and the guide name them', async () => {
    const steps = planActions(doc, { allowPush: true, inputs: new Map(), flow: 'token' });
    const needing = steps.filter((s) => s.send === 'never' && s.reason.startsWith('needs ') && !s.action.signed).map((s) => s.action.name);
    expect(steps.filter((s) => s.send === 'derived')).toEqual([]);
    expect(needing.toSorted()).toEqual(['getInspection', 'getSparePartsUse', ...PUSHES].toSorted());
    for (const file of ['../README.md', '../../../docs/first-day-at-a-tenant.md']) {
      const text = (await readFile(new URL(file, import.meta.url), 'utf8')).replace(/\s+/g, ' ');
      const paragraph = /** @type {string} */ (text.match(/Today every read and (?:every )?push needs.*?the spec has a query/)?.[0]);
      expect(paragraph, file).toBeDefined();
      expect([...paragraph.matchAll(/`((?:get|push)[A-Za-z]+)`/g)].map((m) => m[1]).toSorted(), file).toEqual(needing.toSorted());
    }
  });
});

describe('verdicts', () => {
  it('drift: pointers, types and shapes in the reason and the report, never the values; exit 1', async () => {
    const t = await tenant({
      overrides: {
        '/mxoc_0001_mxoc_pq/backup_query': (_r, res) =>
          json(res, 200, { success: true, reachPlugin: true, errorCode: 'success', data: { id: 12345, secretish: 'Zebra-value-77' } }),
      },
    });
    const dir = await mkdtemp(join(tmpdir(), 'qzz-check-'));
    const report = join(dir, 'report.jsonl');
    const result = await check({ upstream: t.url, env: TOKEN_ENV, report, inputs: { getSparePartsUse: { id: OWN_ID } }, ...FAST });
    expect(result.exitCode).toBe(1);
    const verdict = verdictOf(result, 'getSparePartsUse');
    expect(verdict.verdict).toBe('drift');
    expect(verdict.reason).toMatch(/\/data\/id type \(spec type string; seen integer\)/);
    expect(verdict.reason).toMatch(/\/data\/secretish undocumented-field/);
    const text = await readFile(report, 'utf8');
    expect(text).not.toMatch(/12345|Zebra-value-77/);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // The proxy's discrepancy lines, then one verdict line per action.
    expect(lines.filter((l) => l.kind && l.action === 'getSparePartsUse').length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.verdict).length).toBe(actions.length);
  });

  it('a business refusal: refused with its errorCode', async () => {
    const t = await tenant({
      overrides: {
        '/mxoc_qm/inspect_query': (_r, res) =>
          json(res, 200, { success: false, errorCode: 'BILL_NOT_FOUND', message: 'no bill 1000000000000000001' }),
      },
    });
    const result = await check({ upstream: t.url, env: TOKEN_ENV, inputs: { getInspection: { id: OWN_ID } }, ...FAST });
    expect(verdictOf(result, 'getInspection')).toMatchObject({ verdict: 'refused', errorCode: 'BILL_NOT_FOUND' });
    expect(result.exitCode).toBe(0);
  });

  it("an action this tenant lacks: the gateway's 404 No Route is refused with its status", async () => {
    const t = await tenant({ overrides: { '/mxoc_0001_mxoc_pq/backup_query': (_r, res) => json(res, 404, 'No Route') } });
    const result = await check({ upstream: t.url, env: TOKEN_ENV, inputs: { getSparePartsUse: { id: OWN_ID } }, ...FAST });
    expect(verdictOf(result, 'getSparePartsUse')).toMatchObject({ verdict: 'refused', status: 404 });
  });

  it('429 with Retry-After: waits as it says, then calls once more', async () => {
    const t = await tenant({
      overrides: {
        [QUERY.wirePath]: (_r, res, count) =>
          count === 0 ? json(res, 429, { errcode: 429, description: 'slow down' }, { 'retry-after': '7' }) : false,
      },
    });
    const asked = [];
    const result = await check({ upstream: t.url, env: TOKEN_ENV, rate: 10, sleep: async (ms) => void asked.push(ms) });
    expect(asked).toContain(7000);
    expect(t.business().length).toBe(2);
    expect(verdictOf(result, 'queryProductionInStock').verdict).toBe('matches');
  });

  it('a Retry-After longer than the check waits stops the run (exit 2)', async () => {
    const t = await tenant({
      overrides: { [QUERY.wirePath]: (_r, res) => json(res, 429, { errcode: 429, description: 'later' }, { 'retry-after': '3600' }) },
    });
    const result = await check({ upstream: t.url, env: TOKEN_ENV, inputs: { getInspection: { id: OWN_ID } }, ...FAST });
    expect(result.exitCode).toBe(2);
    expect(result.stopped).toMatch(/wait 3600 s/);
    expect(t.business().length).toBe(1);
  });

  it('a rotated secret (1030002006): the Kingdee flow authorises once more and the call goes through', async () => {
    let issued = 0;
    const t = await tenant({
      token: () => `token-${++issued}`,
      overrides: {
        [QUERY.wirePath]: (request, res) =>
          request.query.get('access_token') === 'token-1'
            ? json(res, 200, { errcode: 1030002006, description: '授权密钥校验失败' })
            : false,
      },
    });
    const result = await check({ upstream: t.url, env: KINGDEE_ENV, ...FAST });
    expect(t.received.filter((r) => r.path === AUTH_PATHS.token).length).toBe(2);
    expect(verdictOf(result, 'queryProductionInStock').verdict).toBe('matches');
    expect(verdictOf(result, 'pushAppAuthorize').verdict).not.toBe('not-run');
    expect(result.exitCode).not.toBe(2);
  });

  it('a credential still refused after the one refresh stops the run', async () => {
    const t = await tenant({
      overrides: { [QUERY.wirePath]: (_r, res) => json(res, 200, { errcode: 1030002006, description: '授权密钥校验失败' }) },
    });
    const result = await check({ upstream: t.url, env: KINGDEE_ENV, inputs: { getInspection: { id: OWN_ID } }, ...FAST });
    expect(t.received.filter((r) => r.path === AUTH_PATHS.token).length).toBe(2);
    expect(result.exitCode).toBe(2);
    expect(result.stopped).toMatch(/credentials were refused/);
    expect(t.business().filter((r) => r.path === '/mxoc_qm/inspect_query')).toEqual([]);
    expect(verdictOf(result, 'getInspection').reason).toMatch(/the run stopped/);
  });

  it.each([
    ['at data.id', { id: '1999999999999999999' }],
    ['in a list', [{ id: '0' }, { id: '1999999999999999999' }]],
    ['in a nested bill', { bill: { id: '1999999999999999999', entries: [] } }],
    ['on an entry of the draft', { id: '0', material_entity: [{ id: '1999999999999999999' }] }],
    ['as a number', { id: 1999999999999 }],
  ])('a push that answers a saved id (%s) stops the run: no push after it reaches the tenant', async (_where, data) => {
    const first = byName.get('pushProductionInStockToScrap');
    const t = await tenant({
      overrides: {
        [first.wirePath]: (request, res) =>
          request.body?.push === 'mxoc_pom_scrap'
            ? json(res, 200, { success: true, reachPlugin: true, errorCode: 'success', data })
            : false,
      },
    });
    const result = await check({ upstream: t.url, env: TOKEN_ENV, allowPush: true, inputs: OWN_INPUTS, ...FAST });
    expect(result.exitCode).toBe(2);
    expect(result.stopped).toMatch(/pushProductionInStockToScrap answered a saved bill's id/);
    const pushes = t.business().filter((r) => PUSHES.includes(/** @type {string} */ (r.action)) || r.body?.push === 'mxoc_pom_scrap');
    expect(pushes.length).toBe(1);
  });
});
