// Nothing else: with the mock (which answers from the spec) as the upstream, every action's documented request
// passes the proxy without a single report line — the proxy reports drift, never the spec's own shapes.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startMock } from '@qzz/mock';
import { listActions } from '@qzz/spec/actions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../src/index.js';

const doc = JSON.parse(await readFile(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const business = listActions(doc).filter((a) => !a.path.startsWith('/jdyconnector/'));
const HEADERS = { groupName: 'grp', accountid: 'acct', 'X-GW-Router-Addr': 'https://tf.jdy.com' };

let mock;
let proxy;
const reports = [];
beforeAll(async () => {
  mock = await startMock({ port: 0 });
  proxy = await startProxy({ upstream: mock.url, port: 0, onReport: (line) => reports.push(line) });
});
afterAll(async () => {
  await proxy?.close();
  await mock?.close();
});

describe('the mock as the upstream', () => {
  it.each(business.map((a) => [a.name, a]))('%s: its documented exchange reports nothing', async (_name, action) => {
    const contentType = Object.keys(doc.paths[action.path][action.method].requestBody.content)[0];
    const value = doc.components.examples[action.examples.request].value;
    const before = reports.length;
    const response = await fetch(`${proxy.url}${action.wirePath}?access_token=t`, {
      method: action.method.toUpperCase(),
      headers: { ...HEADERS, 'content-type': contentType },
      body: typeof value === 'string' ? value : JSON.stringify(value),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-qzz-action')).toBe(action.name);
    await response.arrayBuffer();
    await proxy.flush();
    expect(reports.slice(before)).toEqual([]);
  });

  it('reports the business failure as nothing either (HTTP 200, success: false)', async () => {
    const action = business.find((a) => a.name === 'pushOrderExecutionToSparePartsUse');
    const before = reports.length;
    const response = await fetch(`${proxy.url}${action.wirePath}?access_token=t`, {
      method: 'POST',
      headers: { ...HEADERS, 'content-type': 'application/json', prefer: 'example=businessFailure' },
      body: JSON.stringify(doc.components.examples[action.examples.request].value),
    });
    expect((await response.json()).success).toBe(false);
    await proxy.flush();
    expect(reports.slice(before)).toEqual([]);
  });
});
