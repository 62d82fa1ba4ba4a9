// The shape design.md fixes: operations, actions, tags, auth, servers.
import { describe, expect, it } from 'vitest';
import { listActions, listOperations, resolvePointer } from '../lib/actions.js';
import { loadBundle } from './helpers.js';

const doc = loadBundle();
const MODULES = [
  '系统功能',
  '工程数据',
  '车间管理',
  '普通生产',
  '委外管理',
  '销售管理',
  '非标生产',
  '人力资源',
  'wms',
  '采购管理',
  '检斤管理',
  '委外工序计划单',
  'KIS升级',
  '工作流',
  'CRM客户管理',
  '首页',
  'SRM管理',
  '基础资料',
  '轻MES',
  '质量管理',
];

describe('structure', () => {
  it('has all 20 vendor modules as tags, in the vendor order, each described and grouped', () => {
    expect(doc.tags.map((t) => t.name)).toEqual(MODULES);
    for (const tag of doc.tags) {
      expect(tag['x-displayName'], tag.name).toMatch(/^[A-Za-z]/);
      expect(tag['x-qzz-module'], tag.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(tag.description.length, tag.name).toBeGreaterThan(20);
    }
    expect(doc['x-tagGroups'].flatMap((g) => g.tags)).toEqual(MODULES);
  });

  it('characterises no module beyond what the vendor shows of it (no production strategy: make-to-stock, …)', () => {
    for (const tag of doc.tags) {
      expect(`${tag['x-displayName']} ${tag.description}`, tag.name).not.toMatch(
        /make[- ]to[- ](stock|order)|engineer[- ]to[- ]order|\bMT[SO]\b/i,
      );
    }
  });

  it('has one operation per wire endpoint with unique operationIds and action names', () => {
    const operations = listOperations(doc);
    const ids = operations.map((o) => o.operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const names = listActions(doc).map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    // 12 wire endpoints of the vendor's API plus the gateway's two auth calls.
    expect(operations.filter((o) => o.path.startsWith('/jdyconnector/'))).toHaveLength(2);
    expect(operations).toHaveLength(14);
  });

  it("requires the four gateway credentials together on every business call, the third-party guide's route included", () => {
    expect(doc.security).toEqual([{ accessToken: [], groupName: [], accountId: [], routerAddr: [] }]);
    const schemes = doc.components.securitySchemes;
    expect([schemes.accessToken.in, schemes.accessToken.name]).toEqual(['query', 'access_token']);
    for (const [key, header] of [
      ['groupName', 'groupName'],
      ['accountId', 'accountid'],
      ['routerAddr', 'X-GW-Router-Addr'],
    ]) {
      expect([schemes[key].type, schemes[key].in, schemes[key].name]).toEqual(['apiKey', 'header', header]);
    }
    for (const { path, operation } of listOperations(doc)) {
      if (path.startsWith('/jdyconnector/')) expect(operation.security).toEqual([{ kingdeeClientId: [], kingdeeSignature: [] }]);
      // The production in-stock query's third-party guide shows none of the four: a guide's silence is not the
      // gateway waiving them (every vendor page and gateway.md give them to every business call).
      else expect(operation.security, path).toBeUndefined();
    }
  });

  it('marks every request body required and gives every action resolvable schemas', () => {
    for (const { operation } of listOperations(doc)) if (operation.requestBody) expect(operation.requestBody.required).toBe(true);
    for (const action of listActions(doc)) {
      expect(resolvePointer(doc, action.request), action.name).toBeDefined();
      expect(resolvePointer(doc, action.response), action.name).toBeDefined();
    }
  });

  it('describes the HTTP-200 business failure and the gateway errors on every business call', () => {
    for (const { path, operation } of listOperations(doc).filter((o) => !o.path.startsWith('/jdyconnector/'))) {
      const variants = operation.responses['200'].content['application/json'].schema.oneOf;
      expect(
        variants.some((s) => s.$ref === '#/components/schemas/BusinessFailure'),
        path,
      ).toBe(true);
      // 401 is the mock's answer to missing credentials, which every business call requires.
      expect(Object.keys(operation.responses), path).toEqual(['200', '401', '404', '429', '519']);
    }
  });

  it('publishes the app_signature test vector', () => {
    const token = doc.paths['/jdyconnector/app_management/kingdee_auth_token'].get;
    const signature = token.parameters.find((p) => p.name === 'app_signature');
    expect(signature.examples.publishedTestVector.value).toBe(
      'ZDljMTI3NGIyNTE1MTRkYzlkNjc1MDNhYjUzMzgzNWMyY2M4YTdjMzdmNmM3YTVlNDkxMTkzNjdiOTFjNzUyZQ==',
    );
  });
});
