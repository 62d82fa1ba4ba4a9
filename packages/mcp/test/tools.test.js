// The tool table from the bundle, in memory: schemas as the client's functions take them, and the calls a server
// refuses before anything is sent.
import { createQzzClient } from '@qzz/client';
import { describe, expect, it } from 'vitest';
import { inputSchemaOf } from '../src/schema.js';
import { offeredTools, toolsOf } from '../src/tools.js';
import { doc, memoryClient, textOf } from './helpers.js';

describe('input schemas', () => {
  it('leave out a nested selector value and keep its siblings (saveProcess selects by params.operate)', () => {
    const save = toolsOf(doc).find((tool) => tool.name === 'engineering_saveProcess');
    /** @type {any} */
    const properties = save?.inputSchema.properties;
    const params = properties?.params;
    expect(Object.keys(params.properties)).toEqual(['datainfo']);
    expect(params.required).toEqual(['datainfo']);
    expect(save?.inputSchema.required).toEqual(['params']);
  });

  it('leave an action that selects nothing as its request schema is, references made local', () => {
    const schema = inputSchemaOf(doc, { request: '#/components/schemas/GetInspectionRequest', select: {} });
    expect(schema).toMatchObject({ type: 'object', properties: { id: { $ref: '#/$defs/Id', description: '单据ID · Bill ID' } } });
    expect(schema.$defs).toHaveProperty('Id');
    expect(JSON.stringify(schema)).not.toContain('#/components/');
  });

  it('carry no documented example (its ids are the vendor page’s, not a tenant’s), but keep a property named like one', () => {
    const withExample = {
      components: {
        schemas: {
          R: {
            type: 'object',
            properties: { example: { type: 'string', examples: ['1634800180022794240'] }, ref: { $ref: '#/components/schemas/S' } },
          },
          S: { type: 'string', example: '1634800180022794240' },
        },
      },
    };
    const schema = inputSchemaOf(withExample, { request: '#/components/schemas/R', select: {} });
    expect(JSON.stringify(schema)).not.toContain('1634800180022794240');
    expect(schema.properties).toEqual({ example: { type: 'string' }, ref: { $ref: '#/$defs/S' } });
    expect(schema.$defs).toEqual({ S: { type: 'string' } });
  });
});

describe('effects', () => {
  it('an action of a kind no code knows yet is a write tool, offered only with allowWrite', () => {
    const copy = structuredClone(doc);
    const action = Object.values(copy.paths)
      .flatMap((item) => Object.values(item).flatMap((operation) => operation['x-qzz-actions'] ?? []))
      .find((a) => a.name === 'auditTravelApplication');
    action.kind = 'unaudit';
    const tool = toolsOf(copy).find((t) => t.action === 'auditTravelApplication');
    expect(tool).toMatchObject({ kind: 'unaudit', effect: 'write', annotations: { readOnlyHint: false, destructiveHint: true } });
    expect(offeredTools(toolsOf(copy), { allowPush: true }).map((t) => t.action)).not.toContain('auditTravelApplication');
    expect(offeredTools(toolsOf(copy), { allowWrite: true }).map((t) => t.action)).toContain('auditTravelApplication');
  });
});

describe('calls the server refuses', () => {
  /** A client whose every fetch is noted: none may happen. */
  const sent = [];
  const client = createQzzClient({
    baseUrl: 'http://127.0.0.1:9',
    credentials: { accessToken: 't', groupName: 'g', accountId: 'a', routerAddr: 'https://tf.jdy.com' },
    fetch: async (input) => {
      sent.push(String(input));
      throw new TypeError('no network in this test');
    },
  });

  it('a push without allowPush, a tool that does not exist, and the gateway’s own calls (their answers are credentials)', async () => {
    const { client: mcp, close } = await memoryClient({ client });
    try {
      const push = await mcp.callTool({ name: 'production_pushProductionInStockToScrap', arguments: { billdata: { id: '1' } } });
      expect(textOf(push)).toBe(
        'production_pushProductionInStockToScrap is off: it pushes a bill down (a draft); the server must be started with --allow-push to offer it.',
      );
      for (const name of ['nope', 'system_getKingdeeAuthToken', 'system_pushAppAuthorize']) {
        const result = await mcp.callTool({ name, arguments: {} });
        expect(result.isError).toBe(true);
        expect(textOf(result)).toBe(`No tool ${name}: the server lists its tools (tools/list).`);
      }
      expect(sent).toEqual([]);
    } finally {
      await close();
    }
  });

  it('a network failure comes back as a tool error with the client’s error kind', async () => {
    const { client: mcp, close } = await memoryClient({ client });
    try {
      const result = await mcp.callTool({ name: 'workshop_getInspection', arguments: { id: '1' } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^workshop_getInspection \(workshop\.getInspection\) failed: QzzNetworkError: /);
    } finally {
      await close();
    }
  });
});
