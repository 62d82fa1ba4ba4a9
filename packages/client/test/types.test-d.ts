// Compile-time checks: vitest typecheck fails when a line marked @ts-expect-error compiles.
import { describe, expectTypeOf, it } from 'vitest';
import { type components, createQzzClient, type QzzAnswer, type QzzLogFields } from '../src/index.js';

const client = createQzzClient({ credentials: { accessToken: 't', groupName: 'g', accountId: 'a', routerAddr: 'r' } });

describe('action functions are typed from the spec', () => {
  it('resolve to the typed data of the action', () => {
    expectTypeOf(client.projectManufacturing.pushOrderExecutionToSparePartsUse).returns.resolves.toEqualTypeOf<
      components['schemas']['SparePartsUseBill']
    >();
    expectTypeOf(client.outsourcing.pushTransferInToOutsourcedInStock).returns.resolves.toEqualTypeOf<
      components['schemas']['TransferInToOutsourcedInStockResult']
    >();
  });

  it('take only the business data: the selecting fields are filled in', () => {
    client.projectManufacturing.pushOrderExecutionToSparePartsUse({ entryPk: '1', billdata: { id: '1' } });
    client.production.pushProductionInStockToScrap({ billdata: { id: '1' } });
    client.engineering.saveProcess({ params: { datainfo: { number: 'GX-1' } } });
    // @ts-expect-error the action sets `operation` itself
    client.projectManufacturing.pushOrderExecutionToSparePartsUse({ operation: 'push', billdata: { id: '1' } });
  });

  it('reject a wrong field, a missing required field and an id as a number', () => {
    // @ts-expect-error `billdata` is required
    client.projectManufacturing.pushOrderExecutionToSparePartsUse({ entryPk: '1' });
    // @ts-expect-error no such field
    client.projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: '1' }, billData: {} });
    // @ts-expect-error ids are strings
    client.workshop.getInspection({ id: 1895048896518849536 });
    // @ts-expect-error `operation` is save or audit
    client.projectManufacturing.saveOrderExecution({ operation: 'delete', billdata: {} });
    // @ts-expect-error `tarEntity` is fixed by the action
    client.outsourcing.pushTransferInToProductionInStock({ tarEntity: 'x', billid: '1' });
  });

  it('type the raw client by path', () => {
    client.raw.POST('/mxoc_qm/inspect_query', { body: { id: '1' } });
    // @ts-expect-error unknown path
    client.raw.POST('/mxoc_qm/no_such_route', { body: {} });
    // @ts-expect-error the body is required
    client.raw.POST('/mxoc_qm/inspect_query', {});
  });
});

describe('what the client tells', () => {
  it('types withResponse() as the data of the action with the Response and the attempts', () => {
    expectTypeOf(client.workshop.getInspection({ id: '1' }).withResponse()).resolves.toEqualTypeOf<
      QzzAnswer<components['schemas']['InspectionBill']>
    >();
    expectTypeOf(client.call('/x', {}).withResponse()).resolves.toEqualTypeOf<QzzAnswer<unknown>>();
  });

  it('takes console, a pino-shaped logger and openapi-fetch middleware; refuses a partial logger and an unknown level', () => {
    const credentials = { accessToken: 't', groupName: 'g', accountId: 'a', routerAddr: 'r' };
    createQzzClient({ credentials, logger: console, logLevel: 'debug' });
    // pino's LogFn: overloaded, object first.
    type LogFn = { (obj: object, msg?: string, ...args: unknown[]): void; (msg: string, ...args: unknown[]): void };
    const pinoShaped: { debug: LogFn; info: LogFn; warn: LogFn; error: LogFn; level: string } = console as never;
    createQzzClient({ credentials, logger: pinoShaped });
    createQzzClient({ credentials, middleware: [{ onRequest: ({ request }) => request }] }).use({ onResponse: () => undefined });
    const fields: QzzLogFields = { call: 1, action: 'workshop.getInspection', route: '/mxoc_qm/inspect_query', attempt: 1 };
    expectTypeOf(fields.outcome).toEqualTypeOf<'not-sent' | 'unknown' | undefined>();
    // @ts-expect-error a logger needs all four methods
    createQzzClient({ credentials, logger: { debug() {}, info() {}, warn() {} } });
    // @ts-expect-error no such level
    createQzzClient({ credentials, logLevel: 'verbose' });
  });
});
