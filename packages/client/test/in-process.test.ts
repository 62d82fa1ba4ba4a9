// The client against the mock with no server: the in-process fetch (`createMockFetch`) as the client's `fetch`, and
// MSW's `setupServer` with the mock's handlers (`@qzz/mock/msw`) intercepting the client's global fetch.
import { createMockFetch, type MockFetch } from '@qzz/mock';
import { createMockHandlers } from '@qzz/mock/msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQzzClient, QzzBusinessError, type QzzCredentials, QzzGatewayError } from '../src/index.js';

const credentials: QzzCredentials = { accessToken: 'tok', groupName: 'in-process', accountId: '1', routerAddr: 'https://tf.jdy.com' };
const SOURCE_ID = '1634800180022794240';

describe('the client with the in-process mock as its fetch', () => {
  let mockFetch: MockFetch;
  beforeAll(async () => {
    mockFetch = await createMockFetch({ sandbox: true });
  });
  afterAll(() => mockFetch?.close());

  it('saves, then pushes the saved bill, under any base URL', async () => {
    const client = createQzzClient({ baseUrl: 'https://api.kingdee.com', credentials, fetch: mockFetch, retries: 0 });
    // A field the bill's schema leaves open (the vendor's full field list is not known), copied by the push.
    const billdata: Record<string, unknown> = { remark: 'no port' };
    const saved = (await client.projectManufacturing.saveOrderExecution({ operation: 'save', billdata })) as { id: string; billno: string };
    expect(saved.id).toMatch(/^[0-9]{19}$/);
    const draft = await client.projectManufacturing.pushOrderExecutionToSparePartsUse({ entryPk: saved.id, billdata: { id: saved.id } });
    expect(draft.remark).toBe('no port');
    expect(draft.material_entity?.[0]?.srcbillno).toBe(saved.billno);
  });

  it("turns the mock's refusals into the client's typed errors", async () => {
    const client = createQzzClient({
      baseUrl: 'http://localhost',
      credentials: { ...credentials, groupName: '' },
      fetch: mockFetch,
      retries: 0,
    });
    const error = await client.projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: SOURCE_ID } }).catch((e) => e);
    expect(error).toBeInstanceOf(QzzGatewayError);
    expect(error.status).toBe(401);
    const unknown = await createQzzClient({ baseUrl: 'http://localhost', credentials, fetch: mockFetch, retries: 0 })
      .projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: '1234567890123456789' } })
      .catch((e) => e);
    expect(unknown).toBeInstanceOf(QzzBusinessError);
  });
});

describe('the client with MSW handlers', () => {
  const baseUrl = 'https://gateway.test';
  const server = setupServer();
  beforeAll(async () => {
    server.use(...(await createMockHandlers({ baseUrl })));
    server.listen({ onUnhandledRequest: 'error' });
  });
  afterAll(() => server.close());

  it("answers the client's calls as the mock does", async () => {
    const client = createQzzClient({ baseUrl, credentials, retries: 0 });
    const draft = await client.projectManufacturing.pushOrderExecutionToSparePartsUse({ entryPk: SOURCE_ID, billdata: { id: SOURCE_ID } });
    expect(draft.billno).toBe('BJLL-20230306-0001');
    const error = await createQzzClient({ baseUrl, credentials: { ...credentials, accountId: '' }, retries: 0 })
      .projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: SOURCE_ID } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(QzzGatewayError);
    expect(error.status).toBe(401);
  });
});
