// The MCP server as an assistant meets it: the real CLI over stdio, spoken to by the MCP SDK's own client,
// against the mock over real HTTP.
import { createServer } from 'node:http';
import { startMock } from '@qzz/mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ENV, stdioClient, textOf } from './helpers.js';

const QUERIES = ['production_queryProductionInStock', 'projectManufacturing_getSparePartsUse', 'workshop_getInspection'];
const PUSHES = [
  'outsourcing_pushOutsourcedMaterialsToPick',
  'outsourcing_pushReceiptNoticeToOutsourcedInStock',
  'outsourcing_pushTransferInToOutsourcedInStock',
  'outsourcing_pushTransferInToProductionInStock',
  'production_pushProductionInStockToScrap',
  'projectManufacturing_pushOrderExecutionToExpenseIncome',
  'projectManufacturing_pushOrderExecutionToSparePartsUse',
  'projectManufacturing_pushProjectPlanToSparePartsUse',
];
const WRITES = [
  'engineering_saveProcess',
  'outsourcing_saveAuditReceiptNotice',
  'production_saveAuditProductionOrder',
  'production_saveAuditProductionReturnStock',
  'projectManufacturing_auditTravelApplication',
  'projectManufacturing_saveOrderExecution',
];

/** @type {Awaited<ReturnType<typeof startMock>>} */
let mock;
/** Requests that reached the counting front of the mock, by path. */
const reached = [];
/** @type {import('node:http').Server} */
let front;
let frontUrl = '';

beforeAll(async () => {
  mock = await startMock({ port: 0 });
  // A front that notes every request's path and relays it to the mock: what a tenant would have received.
  front = createServer((req, res) => {
    reached.push(new URL(req.url ?? '/', 'http://x').pathname);
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const answer = await fetch(`${mock.url}${req.url}`, {
        method: req.method,
        headers: /** @type {any} */ (req.headers),
        body: Buffer.concat(chunks),
      });
      res
        .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
        .end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise((resolve) => front.listen(0, '127.0.0.1', () => resolve(undefined)));
  frontUrl = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (front.address()).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => front.close(resolve));
  await mock.close();
});

const env = () => ({ ...MOCK_ENV, QZZ_BASE_URL: frontUrl });
const names = (/** @type {any} */ list) => list.tools.map((/** @type {any} */ tool) => tool.name).sort();

describe('qzz-mcp over stdio', () => {
  it('offers only queries and reads by default, and says so in its instructions', async () => {
    const { client, close } = await stdioClient([], env());
    try {
      const list = await client.listTools();
      expect(names(list)).toEqual(QUERIES);
      for (const tool of list.tools) expect(tool.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      const instructions = client.getInstructions() ?? '';
      expect(instructions).toMatch(/On: queries and reads\./);
      expect(instructions).toMatch(
        /Off: pushes \(the server is started with --allow-push to offer them\); saves and audits \(the server is started with --allow-write/,
      );
    } finally {
      await close();
    }
  });

  it('adds pushes with --allow-push and writes with --allow-write', async () => {
    const push = await stdioClient(['--allow-push'], env());
    const all = await stdioClient(['--allow-push', '--allow-write'], env());
    const write = await stdioClient(['--allow-write'], env());
    try {
      expect(names(await push.client.listTools())).toEqual([...QUERIES, ...PUSHES].sort());
      expect(names(await write.client.listTools())).toEqual([...QUERIES, ...WRITES].sort());
      const every = await all.client.listTools();
      expect(names(every)).toEqual([...QUERIES, ...PUSHES, ...WRITES].sort());
      const save = every.tools.find((tool) => tool.name === 'production_saveAuditProductionOrder');
      expect(save?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
      expect(all.client.getInstructions()).toMatch(/saves and audits \(they write to the tenant: confirm with the user first\)\.\n/);
      expect(all.client.getInstructions()).not.toMatch(/Off:/);
    } finally {
      await Promise.all([push.close(), all.close(), write.close()]);
    }
  });

  it('describes each tool in Chinese and English, with the input the client function takes (selector values filled in)', async () => {
    const { client, close } = await stdioClient(['--allow-push'], env());
    try {
      const { tools } = await client.listTools();
      const push = tools.find((tool) => tool.name === 'production_pushProductionInStockToScrap');
      expect(push?.description).toMatch(/^下推生产报废单 · Push down to production scrap bill\n下推 · Push: creates an unsaved draft/);
      expect(push?.description).toContain('POST /mxoc_pom/pomsaveandaudit: production.pushProductionInStockToScrap of @qzz/client');
      // operation, formid and push select this action on its route: the client fills them in.
      expect(Object.keys(push?.inputSchema.properties ?? {})).toEqual(['billdata']);
      expect(push?.inputSchema.required).toEqual(['billdata']);
      expect(JSON.stringify(push?.inputSchema)).not.toContain('#/components/');
      expect(push?.inputSchema.$defs).toHaveProperty('BillRef');
    } finally {
      await close();
    }
  });

  it('answers a query and a push through @qzz/client, and refuses a save without --allow-write before anything is sent', async () => {
    const { client, close } = await stdioClient(['--allow-push'], env());
    try {
      const query = await client.callTool({ name: 'workshop_getInspection', arguments: { id: '1895048896518849536' } });
      expect(query.isError).toBeFalsy();
      expect(JSON.parse(textOf(query))).toHaveProperty('id');

      const push = await client.callTool({
        name: 'projectManufacturing_pushOrderExecutionToSparePartsUse',
        arguments: { entryPk: '1634800180022794240', billdata: { id: '1634800180022794240' } },
      });
      expect(push.isError).toBeFalsy();
      expect(JSON.parse(textOf(push))).toHaveProperty('billno');

      const before = reached.length;
      const save = await client.callTool({
        name: 'production_saveAuditProductionOrder',
        arguments: { operation: 'save', formid: 'x', billdata: {} },
      });
      expect(save.isError).toBe(true);
      expect(textOf(save)).toBe(
        'production_saveAuditProductionOrder is off: it writes to the tenant; the server must be started with --allow-write to offer it.',
      );
      expect(reached.length).toBe(before);
      expect(reached).not.toContain('/mxoc_pom/pomsaveandaudit');
    } finally {
      await close();
    }
  });

  it("returns a refused call as a tool error naming the action and the client's error kind", async () => {
    const { client, close } = await stdioClient([], env());
    try {
      // The mock refuses a body its schema does not accept (422): the client's QzzGatewayError.
      const result = await client.callTool({ name: 'workshop_getInspection', arguments: { id: 17 } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^workshop_getInspection \(workshop\.getInspection\) failed: QzzGatewayError \(status 422\): /);
    } finally {
      await close();
    }
  });

  it('trims a long answer to the stated size and says how much was left out', async () => {
    const { client, close } = await stdioClient(['--allow-push', '--max-answer-chars', '100'], env());
    try {
      const result = await client.callTool({
        name: 'projectManufacturing_pushOrderExecutionToSparePartsUse',
        arguments: { entryPk: '1634800180022794240', billdata: { id: '1634800180022794240' } },
      });
      const text = textOf(result);
      const [kept, note] = text.split('\n… ');
      expect(kept).toHaveLength(100);
      expect(note).toMatch(/^\[trimmed: (\d+) of (\d+) characters left out; the server answers at most 100\./);
      const [, left, total] = /** @type {RegExpMatchArray} */ (note.match(/(\d+) of (\d+)/));
      expect(Number(total) - Number(left)).toBe(100);
      expect(client.getInstructions()).toContain('Answers longer than 100 characters are trimmed');
    } finally {
      await close();
    }
  });
});

describe('qzz-mcp refuses to start without what it needs', () => {
  const run = async (/** @type {string[]} */ args, /** @type {Record<string, string>} */ environment) => {
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('./helpers.js');
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...environment } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    return { code, stderr, stdout };
  };

  it('names the missing variables, never a value, and exits 2', async () => {
    const secret = 'tok-3f9a/+=%&?#secret';
    const partial = await run([], { QZZ_ACCESS_TOKEN: secret, QZZ_GROUP_NAME: 'g' });
    expect(partial.code).toBe(2);
    expect(partial.stderr).toBe('qzz-mcp: QZZ_ACCESS_TOKEN is set but QZZ_ACCOUNT_ID, QZZ_ROUTER_ADDR are not.\n');
    expect(partial.stdout).toBe('');
    const none = await run([], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^qzz-mcp: No credentials in the environment: set QZZ_ACCESS_TOKEN, .* or QZZ_CLIENT_ID, /);
    const withPassword = await run([], { ...MOCK_ENV, QZZ_BASE_URL: 'http://user:s3cr3t-pass@h/' });
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toBe('qzz-mcp: QZZ_BASE_URL must be an http(s) URL without credentials, query or fragment.\n');
    const unparsable = await run([], { ...MOCK_ENV, QZZ_BASE_URL: `http://user:${secret}@h/` });
    expect(unparsable.stderr).toBe('qzz-mcp: QZZ_BASE_URL is not a URL.\n');
  });

  it('refuses unknown options and a credential on the command line', async () => {
    const result = await run(['--access-token', 'x'], MOCK_ENV);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^qzz-mcp: Unknown option '--access-token'/);
    const small = await run(['--max-answer-chars', '5'], MOCK_ENV);
    expect(small.stderr).toMatch(/--max-answer-chars must be a whole number of at least 100/);
  });
});
