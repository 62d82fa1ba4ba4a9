// The sandbox over real HTTP: state per account set, derived from the bundle's actions and examples.

import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listActions, resolvePointer } from '@qzz/spec/actions';
import { schemaValidator } from '@qzz/spec/validate';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMock } from '../src/index.js';
import { SIGNED } from './helpers.js';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const validator = schemaValidator(doc);
const _deref = (node) => (node?.$ref ? resolvePointer(doc, node.$ref) : node);
const actions = listActions(doc).filter((a) => a.method === 'post' && !a.signed);
const byName = (name) => actions.find((a) => a.name === name);
const exampleOf = (name) => doc.components.examples[name].value;

const ALICE = { groupName: 'team-a', accountid: '1001', 'X-GW-Router-Addr': 'https://tf.jdy.com' };
const BOB = { groupName: 'team-b', accountid: '1001', 'X-GW-Router-Addr': 'https://tf.jdy.com' };
const ID = /^[0-9]{19}$/;
const BILLNO = /^[A-Z]+-[0-9]{8}-[0-9]{4}$/;

// The flow the issue names, found by the actions' relations rather than by name.
const push = actions.find((a) => a.kind === 'push' && a.from && a.examples.response && !a.path.includes('backup_operate'));
const save = actions.find((a) => a.kind.startsWith('save') && a.path.startsWith(push.path.split('/').slice(0, 3).join('/')));

let mock;
beforeAll(async () => {
  mock = await startMock({ port: 0, sandbox: true });
});
afterAll(() => mock?.close());

/** The content type an action's path takes and whether it carries JSON text. */
function mediaOf(action) {
  const [type, media] = Object.entries(doc.paths[action.path].post.requestBody.content)[0];
  return { type, text: media.schema?.contentMediaType === 'application/json' };
}

/** POSTs `body` to an action's path as its endpoint takes it, for an account set. */
async function call(action, body, { as = ALICE, url = mock.url, headers = {} } = {}) {
  const { type, text } = mediaOf(action);
  const target = new URL(action.wirePath, url);
  target.searchParams.set('access_token', 'sandbox-token');
  const res = await fetch(target, {
    method: 'POST',
    headers: { ...as, 'content-type': type, ...headers },
    body: text && typeof body !== 'string' ? JSON.stringify(body) : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** The sandbox's own routes, for an account set. */
async function control(method, path, { as = ALICE, url = mock.url } = {}) {
  const target = new URL(path, url);
  target.searchParams.set('access_token', 'sandbox-token');
  const res = await fetch(target, { method, headers: as });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** What is wrong with an answer against its action's 200 schema: a success with the action's `data`, or a business failure. */
function problemsOf(action, answer) {
  if (answer?.success === false) {
    const validate = validator.compile('#/components/schemas/BusinessFailure');
    return validate(answer) ? [] : validate.errors;
  }
  const envelope = validator.compile('#/components/schemas/SuccessEnvelope');
  const data = validator.compile(action.response);
  return [...(envelope(answer) ? [] : envelope.errors), ...(data(answer?.data) ? [] : data.errors)];
}

/** The documented request of an action, as a value (JSON text parsed). */
const documented = (action) => {
  const value = exampleOf(action.examples.request);
  return typeof value === 'string' ? JSON.parse(value) : value;
};

const saveBill = async (billdata = {}, as = ALICE) => (await call(save, { operation: 'save', billdata }, { as })).body.data;

beforeEach(async () => {
  await control('POST', '/__sandbox/reset', { as: ALICE });
  await control('POST', '/__sandbox/reset', { as: BOB });
});

describe('every action answers within its response schema', () => {
  it.each(actions.map((a) => [a.name, a]))('%s: its documented request, and a request naming an unknown bill', async (_name, action) => {
    const body = documented(action);
    const answer = await call(action, body);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-qzz-action')).toBe(action.name);
    expect(problemsOf(action, answer.body)).toEqual([]);
    // The same request naming a bill nobody holds (where the request names one).
    const unknown = structuredClone(body);
    if (unknown.billdata) unknown.billdata.id = '1111111111111111111';
    else if (unknown.billid) unknown.billid = '1111111111111111111';
    else if (unknown.id) unknown.id = '1111111111111111111';
    else return;
    const failed = await call(action, unknown);
    expect(problemsOf(action, failed.body)).toEqual([]);
    if (action.kind.startsWith('save') && unknown.operation !== 'audit') expect(failed.body.success).toBe(true);
    else {
      expect(failed.body).toEqual({
        success: false,
        message: expect.stringMatching(/^The sandbox holds no such bill: .*1111111111111111111/),
      });
      expect(failed.headers.get('x-qzz-sandbox')).toBe('own-answer');
    }
  });

  it("the gateway's own calls (no bill involved) answer as the stateless mock does, within their schemas", async () => {
    const gateway = listActions(doc).filter((a) => a.signed);
    expect(gateway.length).toBeGreaterThan(0);
    for (const action of gateway) {
      const url = new URL(action.wirePath, mock.url);
      url.search = new URLSearchParams(
        action.method === 'get' ? { app_key: 'abc', app_signature: 'c2ln' } : { outerInstanceId: 'instance-1' },
      ).toString();
      const res = await fetch(
        url,
        action.method === 'get'
          ? { headers: SIGNED }
          : {
              method: 'POST',
              headers: { ...SIGNED, 'content-type': 'application/json' },
              body: JSON.stringify(exampleOf(action.examples.request)),
            },
      );
      expect(res.status, action.name).toBe(200);
      expect(res.headers.get('x-qzz-sandbox')).toBeNull();
      // The gateway's envelope ({errcode, description, data}); `response` names the schema of its data.
      const validate = validator.compile(action.response);
      expect(validate((await res.json()).data), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('keeps the documented answers of the documented calls', async () => {
    for (const action of actions.filter((a) => a.examples.response)) {
      const answer = await call(action, exampleOf(action.examples.request));
      expect(answer.body, action.name).toEqual(exampleOf(action.examples.response));
    }
  });

  it('reads the bills a get example names, answered within the schema', async () => {
    for (const action of actions.filter((a) => a.kind === 'query' && documented(a).id)) {
      const answer = await call(action, exampleOf(action.examples.request));
      expect(answer.body.success, action.name).toBe(true);
      expect(answer.body.data.id, action.name).toBe(documented(action).id);
      expect(answer.headers.get('x-qzz-sandbox')).toBe('from-state');
    }
  });
});

describe('save', () => {
  it('stores the request under a new 19-digit id and a bill number shaped like the vendor’s, and says the answer is its own', async () => {
    const answer = await call(save, { operation: 'save', billdata: { mxoc_projectname: '测试项目', id: '0' } });
    expect(answer.headers.get('x-qzz-sandbox')).toBe('own-answer');
    expect(answer.body.success).toBe(true);
    const bill = answer.body.data;
    expect(bill.id).toMatch(ID);
    expect(bill.billno).toMatch(BILLNO);
    expect(bill.mxoc_projectname).toBe('测试项目');
    const held = (await control('GET', '/__sandbox/bills')).body.bills;
    expect(held.find((b) => b.id === bill.id)?.data).toEqual(bill);
  });

  it('keeps a bill number the client sends, and numbers the next ones in sequence', async () => {
    expect((await saveBill({ billno: 'MY-OWN-1' })).billno).toBe('MY-OWN-1');
    const [first, second] = [await saveBill(), await saveBill()];
    const seq = (b) => Number(b.billno.split('-').at(-1));
    expect(seq(second)).toBe(seq(first) + 1);
    expect(second.id).not.toBe(first.id);
  });

  it('an audit of a held bill answers it unchanged; of an unknown or missing id, a business failure', async () => {
    const bill = await saveBill({ mxoc_projectname: 'A' });
    const audited = await call(save, { operation: 'audit', billdata: { id: bill.id } });
    expect(audited.body).toMatchObject({ success: true, data: bill });
    const missing = await call(save, { operation: 'audit', billdata: {} });
    expect(missing.body).toEqual({ success: false, message: expect.stringContaining('names no bill id') });
  });
});

describe('push', () => {
  it('answers a draft linked to the saved source: id "0", links and srcbillno pointing at it', async () => {
    const bill = await saveBill({ mxoc_projectname: 'P' });
    const answer = await call(push, { operation: 'push', entryPk: bill.id, billdata: { id: bill.id } });
    expect(answer.headers.get('x-qzz-sandbox')).toBe('from-state');
    expect(problemsOf(push, answer.body)).toEqual([]);
    const draft = answer.body.data;
    const example = exampleOf(push.examples.response).data;
    expect(draft.id).toBe('0');
    expect(draft.billstatus).toBe(example.billstatus);
    expect(draft.billno).toBe(example.billno);
    for (const line of draft.material_entity) {
      expect(line.srcbillno).toBe(bill.billno);
      for (const link of line.material_entity_lk) {
        expect(link.material_entity_lk_sbillid).toBe(bill.id);
        expect(link.material_entity_lk_sid).toBe(bill.id);
      }
    }
    // Nothing in the draft still names the example's source.
    const exampleSource = documented(push).billdata.id;
    expect(JSON.stringify(draft)).not.toContain(exampleSource);
  });

  it('carries over the fields the source and the target share by name, never the draft’s own', async () => {
    const bill = await saveBill({ remark: '来自工单', billdate: '2020-01-01 00:00:00', billstatus: 'C' });
    const draft = (await call(push, { operation: 'push', entryPk: bill.id, billdata: { id: bill.id } })).body.data;
    const example = exampleOf(push.examples.response).data;
    expect(draft.remark).toBe('来自工单');
    expect(draft.billdate).toBe(example.billdate);
    expect(draft.billstatus).toBe(example.billstatus);
  });

  it('does not carry over a shared field whose value breaks the target schema', async () => {
    const bill = await saveBill({ requiredinvoice: 'yes' });
    const answer = await call(push, { operation: 'push', entryPk: bill.id, billdata: { id: bill.id } });
    expect(problemsOf(push, answer.body)).toEqual([]);
    expect(answer.body.data.requiredinvoice).toBe(exampleOf(push.examples.response).data.requiredinvoice);
  });

  it('a push of an id the sandbox does not hold is a business failure saying so', async () => {
    const answer = await call(push, { operation: 'push', entryPk: '1234567890123456789', billdata: { id: '1234567890123456789' } });
    expect(answer.status).toBe(200);
    expect(answer.body.success).toBe(false);
    expect(answer.body.message).toMatch(/sandbox holds no such bill.*1234567890123456789/);
  });

  it('a get never answers a bill of another kind', async () => {
    const bill = await saveBill();
    const get = actions.find((a) => a.kind === 'query' && a.response === push.response);
    const answer = await call(get, { id: bill.id });
    expect(answer.body.success).toBe(false);
  });
});

describe('read back', () => {
  // A read's form: the `to` of the pushes answering its schema (x-qzz-actions); a save names its form in `formid`.
  const readForm = (read) => actions.find((a) => a.kind === 'push' && a.to && a.response === read.response)?.to;
  const read = actions.find((a) => a.kind === 'query' && documented(a).id && readForm(a));
  const formSave = actions.find(
    (a) => a.kind.startsWith('save') && mediaOf(a).type === 'application/json' && 'formid' in documented(a) && !a.select.formid,
  );

  it('a saved bill of the read’s form is read back by id, with only the fields that fit the read’s schema', async () => {
    const saved = (
      await call(formSave, {
        operation: 'save',
        formid: readForm(read),
        billdata: { remark: '读回', requiredinvoice: 'yes', mxoc_customfield1: 'x' },
      })
    ).body.data;
    const answer = await call(read, { id: saved.id });
    expect(answer.headers.get('x-qzz-sandbox')).toBe('from-state');
    expect(problemsOf(read, answer.body)).toEqual([]);
    // requiredinvoice is a boolean in the read's schema: 'yes' does not fit it and is left out.
    expect(answer.body.data).toEqual({ id: saved.id, billno: saved.billno, remark: '读回', mxoc_customfield1: 'x' });
    // Another account set does not hold it.
    expect((await call(read, { id: saved.id }, { as: BOB })).body.success).toBe(false);
  });

  it('a bill saved under another form is not read back', async () => {
    const saved = (await call(formSave, { operation: 'save', formid: 'mxoc_other_form', billdata: {} })).body.data;
    const answer = await call(read, { id: saved.id });
    expect(answer.body).toEqual({
      success: false,
      message: expect.stringContaining(`no such bill: no ${read.response.split('/').at(-1)}`),
    });
  });

  it('a read whose form the spec does not give reads no saved bill (the README’s documented limit)', async () => {
    const blind = actions.filter((a) => a.kind === 'query' && documented(a).id && !readForm(a));
    expect(blind.length).toBeGreaterThan(0);
    for (const action of blind) {
      const saved = (await call(formSave, { operation: 'save', formid: 'mxoc_any_form', billdata: {} })).body.data;
      const answer = await call(action, { id: saved.id });
      expect(answer.body.success, action.name).toBe(false);
      // …while the bill its example names is still read.
      expect((await call(action, documented(action))).body.success, action.name).toBe(true);
    }
  });
});

describe('account sets', () => {
  it('keeps each account set’s bills to itself', async () => {
    const bill = await saveBill({ mxoc_projectname: 'secret' }, ALICE);
    const pushed = await call(push, { operation: 'push', entryPk: bill.id, billdata: { id: bill.id } }, { as: BOB });
    expect(pushed.body.success).toBe(false);
    expect((await control('GET', '/__sandbox/bills', { as: BOB })).body.bills.map((b) => b.id)).not.toContain(bill.id);
    expect((await control('GET', '/__sandbox/bills', { as: ALICE })).body.bills.map((b) => b.id)).toContain(bill.id);
    // Same accountid, other groupName: another account set.
    expect(BOB.accountid).toBe(ALICE.accountid);
  });

  it('reset brings the caller’s account set, and only it, back to the example bills', async () => {
    const start = (await control('GET', '/__sandbox/bills')).body.bills;
    const mine = await saveBill({}, ALICE);
    const theirs = await saveBill({}, BOB);
    const reset = await control('POST', '/__sandbox/reset', { as: ALICE });
    expect(reset.body).toEqual({ reset: true, bills: start.length });
    expect((await control('GET', '/__sandbox/bills')).body.bills).toEqual(start);
    expect((await control('GET', '/__sandbox/bills', { as: BOB })).body.bills.map((b) => b.id)).toContain(theirs.id);
    expect(start.map((b) => b.id)).not.toContain(mine.id);
  });

  it('its routes need the four credentials, name what is missing, and refuse other methods and paths', async () => {
    const url = new URL('/__sandbox/bills', mock.url);
    const res = await fetch(url, { headers: { groupName: 'g' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ errcode: 401, missing: ['access_token', 'accountid', 'X-GW-Router-Addr'] });
    expect((await control('POST', '/__sandbox/bills')).status).toBe(405);
    expect((await control('GET', '/__sandbox/reset')).status).toBe(405);
    expect((await control('GET', '/__sandbox/nothing')).status).toBe(404);
  });

  it('business calls still need their credentials (Prism checks them first)', async () => {
    const res = await fetch(new URL(push.path, mock.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(documented(push)),
    });
    expect(res.status).toBe(401);
  });

  it('Prefer still picks a canned answer', async () => {
    const answer = await call(push, documented(push), { headers: { Prefer: 'example=businessFailure' } });
    expect(answer.body).toEqual(exampleOf('businessFailure'));
    expect(answer.headers.get('x-qzz-sandbox')).toBeNull();
  });
});

describe('concurrency', () => {
  it('50 concurrent saves, then 50 concurrent pushes of them, on one account set', async () => {
    const saved = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(save, { operation: 'save', billdata: { mxoc_projectname: `P${i}` } })),
    );
    for (const answer of saved) expect(problemsOf(save, answer.body)).toEqual([]);
    const bills = saved.map((a) => a.body.data);
    expect(new Set(bills.map((b) => b.id)).size).toBe(50);
    expect(new Set(bills.map((b) => b.billno)).size).toBe(50);
    for (const [i, b] of bills.entries()) expect(b.mxoc_projectname).toBe(`P${i}`);
    const pushed = await Promise.all(bills.map((b) => call(push, { operation: 'push', entryPk: b.id, billdata: { id: b.id } })));
    pushed.forEach((answer, i) => {
      expect(problemsOf(push, answer.body)).toEqual([]);
      for (const line of answer.body.data.material_entity) {
        expect(line.srcbillno).toBe(bills[i].billno);
        for (const link of line.material_entity_lk) expect(link.material_entity_lk_sid).toBe(bills[i].id);
      }
    });
    const held = new Set((await control('GET', '/__sandbox/bills')).body.bills.map((b) => b.id));
    for (const b of bills) expect(held.has(b.id)).toBe(true);
  });
});

describe('robustness', () => {
  it('1,000 random requests that pass the credentials check: no 5xx, and every 200 valid for its action', async () => {
    const id = fc.oneof(fc.stringMatching(/^[1-9][0-9]{0,18}$/), fc.constantFrom('0', '', '1634800180022794240'), fc.string());
    const bill = fc.dictionary(
      fc.constantFrom('id', 'billno', 'remark', 'billstatus', 'requiredinvoice', 'material_entity', 'billtypeid_number'),
      fc.oneof(id, fc.jsonValue()),
    );
    const body = fc.oneof(
      fc.record(
        { operation: fc.constantFrom('save', 'audit', 'push', 'x'), billdata: fc.oneof(bill, fc.jsonValue()), entryPk: id },
        { requiredKeys: [] },
      ),
      fc.record({ params: fc.record({ operate: fc.constantFrom('save', 'x'), datainfo: bill }, { requiredKeys: [] }) }),
      fc.record({ id, formId: fc.constantFrom('mxoc_pom_instocknew', 'x') }, { requiredKeys: [] }),
      fc.record(
        {
          srcEntity: fc.constantFrom('mxoc_process_transferin'),
          tarEntity: fc.constantFrom('mxoc_pom_instocknew', 'mxoc_om_instock'),
          billid: id,
          entryid: id,
          entryentity: fc.constant('entryentity'),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    );
    const request = fc.record({
      action: fc.constantFrom(...actions),
      body,
      group: fc.stringMatching(/^[!-~]{1,12}$/),
      control: fc.constantFrom(undefined, undefined, undefined, ['GET', '/__sandbox/bills'], ['POST', '/__sandbox/reset']),
    });
    const samples = fc.sample(request, { numRuns: 1000, seed: 20261129 });
    const statuses = [];
    const invalid = [];
    for (let i = 0; i < samples.length; i += 50) {
      const batch = samples.slice(i, i + 50).map(async ({ action, body, group, control: route }) => {
        const as = { ...ALICE, groupName: group };
        if (route) return (await control(route[0], route[1], { as })).status;
        const { type } = mediaOf(action);
        const target = new URL(action.wirePath, mock.url);
        target.searchParams.set('access_token', 't');
        const res = await fetch(target, { method: 'POST', headers: { ...as, 'content-type': type }, body: JSON.stringify(body) });
        const answer = await res.text();
        const named = byName(res.headers.get('x-qzz-action'));
        if (res.status === 200 && named) {
          const problems = problemsOf(named, JSON.parse(answer));
          if (problems.length) invalid.push(`${named.name} ${JSON.stringify(body)} → ${JSON.stringify(problems)}`);
        }
        return res.status;
      });
      statuses.push(...(await Promise.all(batch)));
    }
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(invalid).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(100);
  });
});

describe('--seed', () => {
  let dir;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qzz-seed-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('starts every account set with the seed’s bills', async () => {
    const file = join(dir, 'seed.json');
    await writeFile(
      file,
      JSON.stringify({ bills: [{ form: push.from, data: { id: '1000000000000000001', billno: 'GDZX-20240101-0007', remark: 'seeded' } }] }),
    );
    const seeded = await startMock({ port: 0, sandbox: true, seed: file });
    try {
      for (const as of [ALICE, BOB]) {
        const draft = (
          await call(
            push,
            { operation: 'push', entryPk: '1000000000000000001', billdata: { id: '1000000000000000001' } },
            { as, url: seeded.url },
          )
        ).body.data;
        expect(draft.material_entity[0].srcbillno).toBe('GDZX-20240101-0007');
        expect(draft.remark).toBe('seeded');
      }
    } finally {
      await seeded.close();
    }
  });

  it('refuses a seed file it cannot use, saying why', async () => {
    /** @type {Array<[text: string, reason: RegExp]>} */
    const cases = [
      ['not json', /is not JSON/],
      [JSON.stringify({ nope: [] }), /has no "bills" list/],
      [JSON.stringify({ bills: [{ data: { id: 12 } }] }), /bills\[0\]\.data\.id/],
      [
        JSON.stringify({ bills: [{ schema: 'SparePartsUseBill', data: { id: '1', requiredinvoice: 'x' } }] }),
        /does not fit SparePartsUseBill/,
      ],
    ];
    for (const [text, reason] of cases) {
      const file = join(dir, 'bad.json');
      await writeFile(file, text);
      await expect(startMock({ port: 0, sandbox: true, seed: file })).rejects.toThrow(reason);
    }
    await expect(startMock({ port: 0, sandbox: true, seed: join(dir, 'missing.json') })).rejects.toThrow(/cannot be read/);
    await expect(startMock({ port: 0, seed: join(dir, 'bad.json') })).rejects.toThrow(/sandbox/);
  });
});

describe('without --sandbox', () => {
  it('answers as before: the example, whatever was saved', async () => {
    const plain = await startMock({ port: 0 });
    try {
      const saved = await call(save, { operation: 'save', billdata: {} }, { url: plain.url });
      expect(saved.headers.get('x-qzz-sandbox')).toBeNull();
      const pushed = await call(push, { operation: 'push', entryPk: '1', billdata: { id: '1' } }, { url: plain.url });
      expect(pushed.body).toEqual(exampleOf(push.examples.response));
      expect((await fetch(new URL('/__sandbox/bills', plain.url))).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
