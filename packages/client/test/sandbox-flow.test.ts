// A bill flow through the client against the mock's sandbox: save an order execution, push it down into a
// spare-parts use bill, and the draft links to what was saved; and the ways the flow fails.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startMock } from '@qzz/mock';
import { schemaValidator } from '@qzz/spec/validate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQzzClient, QzzBusinessError, type QzzCredentials, QzzGatewayError } from '../src/index.js';

const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const validator = schemaValidator(doc);
const alice: QzzCredentials = { accessToken: 'tok-alice', groupName: 'team-a', accountId: '1001', routerAddr: 'https://tf.jdy.com' };
const bob: QzzCredentials = { ...alice, accessToken: 'tok-bob', groupName: 'team-b' };

let mock: { url: string; close(): Promise<void> };
beforeAll(async () => {
  mock = await startMock({ port: 0, sandbox: true });
});
afterAll(() => mock?.close());

const clientFor = (credentials: QzzCredentials) => createQzzClient({ baseUrl: mock.url, credentials, retries: 0 });

/** Saves an order execution and returns the bill the sandbox stored (its own answer: id and bill number). */
async function saveOrderExecution(credentials: QzzCredentials, billdata: Record<string, unknown>) {
  const saved = (await clientFor(credentials).projectManufacturing.saveOrderExecution({ operation: 'save', billdata })) as Record<
    string,
    any
  >;
  return saved as { id: string; billno: string } & Record<string, unknown>;
}

async function rejection(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('save → push through the sandbox', () => {
  it('the draft links to the bill that was saved', async () => {
    const saved = await saveOrderExecution(alice, { mxoc_projectname: '售后项目', remark: '需要备件' });
    expect(saved.id).toMatch(/^[0-9]{19}$/);
    expect(saved.mxoc_projectname).toBe('售后项目');

    const draft = await clientFor(alice).projectManufacturing.pushOrderExecutionToSparePartsUse({
      entryPk: saved.id,
      billdata: { id: saved.id },
    });
    expect(validator.compile('#/components/schemas/SparePartsUseBill')(draft)).toBe(true);
    expect(draft.id).toBe('0');
    expect(draft.remark).toBe('需要备件');
    for (const line of draft.material_entity ?? []) {
      expect(line.srcbillno).toBe(saved.billno);
      for (const link of line.material_entity_lk ?? []) {
        expect(link.material_entity_lk_sbillid).toBe(saved.id);
        expect(link.material_entity_lk_sid).toBe(saved.id);
      }
    }
  });

  it('two saved bills give two drafts, each linked to its own source', async () => {
    const [one, two] = [await saveOrderExecution(alice, {}), await saveOrderExecution(alice, {})];
    const push = (id: string) => clientFor(alice).projectManufacturing.pushOrderExecutionToSparePartsUse({ entryPk: id, billdata: { id } });
    const [draftOne, draftTwo] = await Promise.all([push(one.id), push(two.id)]);
    expect(draftOne.material_entity?.[0]?.srcbillno).toBe(one.billno);
    expect(draftTwo.material_entity?.[0]?.srcbillno).toBe(two.billno);
    expect(one.billno).not.toBe(two.billno);
  });
});

describe('how the flow fails', () => {
  it('pushing an id the sandbox does not hold is a QzzBusinessError saying so', async () => {
    const error = await rejection(
      clientFor(alice).projectManufacturing.pushOrderExecutionToSparePartsUse({
        entryPk: '1234567890123456789',
        billdata: { id: '1234567890123456789' },
      }),
    );
    expect(error).toBeInstanceOf(QzzBusinessError);
    expect((error as QzzBusinessError).detail).toMatch(/sandbox holds no such bill/);
  });

  it('another account set cannot push a bill it did not save', async () => {
    const saved = await saveOrderExecution(alice, {});
    const error = await rejection(
      clientFor(bob).projectManufacturing.pushOrderExecutionToSparePartsUse({ entryPk: saved.id, billdata: { id: saved.id } }),
    );
    expect(error).toBeInstanceOf(QzzBusinessError);
  });

  it('reading a saved order execution as a spare-parts use bill fails: the sandbox holds no such bill', async () => {
    const saved = await saveOrderExecution(alice, {});
    const error = await rejection(clientFor(alice).projectManufacturing.getSparePartsUse({ id: saved.id }));
    expect((error as QzzBusinessError).detail).toMatch(/holds no such bill/);
  });

  it('an id that is not an id is refused before any state is read (422)', async () => {
    const error = await rejection(
      clientFor(alice).projectManufacturing.pushOrderExecutionToSparePartsUse({ entryPk: 'abc', billdata: { id: 'abc' } }),
    );
    expect(error).toBeInstanceOf(QzzGatewayError);
    expect((error as QzzGatewayError).status).toBe(422);
  });

  it('no error quotes the access token', async () => {
    const error = await rejection(
      clientFor(alice).projectManufacturing.pushOrderExecutionToSparePartsUse({
        entryPk: '1234567890123456789',
        billdata: { id: '1234567890123456789' },
      }),
    );
    expect(JSON.stringify(error) + String(error)).not.toContain(alice.accessToken);
  });
});
