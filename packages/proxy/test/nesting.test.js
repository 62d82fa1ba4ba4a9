// A body nested deeper than the checks can walk (a 200 KB `[[[…]]]`) is forwarded as always and reported as not
// validated; nothing that reads it (the checks, the masking, the capture) is ended half-way by the stack.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../src/index.js';
import { cleanValue, knownSecrets } from '../src/redact.js';
import { json, startStandIn } from './standin.js';

const SEED = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
const deep = (levels) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

let standIn;
let proxy;
let dir;
const reports = [];
const logs = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-nesting-'));
  standIn = await startStandIn((req, _body, res) =>
    req.url?.startsWith('/deep-answer')
      ? res.writeHead(200, { 'content-type': 'application/json' }).end(deep(100_000))
      : json(res, 200, { success: true, reachPlugin: true, errorCode: 'success', data: {} }),
  );
  proxy = await startProxy({
    upstream: standIn.url,
    port: 0,
    capture: dir,
    onReport: (line) => reports.push(line),
    log: (line) => logs.push(line),
  });
});
afterAll(async () => {
  await proxy?.close();
  await standIn?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const post = async (path, body) => {
  const response = await fetch(`${proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.arrayBuffer();
  return response.status;
};

describe('a body nested deeper than 64 levels', () => {
  it.each([
    ['a request on a known route', SEED, 'request'],
    ['a request on a route the spec lacks', '/mxoc_widget/deep', 'request'],
    ['an answer', '/deep-answer', 'response'],
  ])('%s: forwarded, reported as not validated, and the checker keeps working', async (_name, path, direction) => {
    const before = reports.length;
    expect(await post(path, direction === 'request' ? deep(100_000) : '{}')).toBe(200);
    await proxy.flush();
    expect(reports.slice(before)).toContainEqual(
      expect.objectContaining({ direction, kind: 'not-validated', seen: 'JSON nested deeper than 64 levels, forwarded untouched' }),
    );
    expect(logs.filter((line) => /internal error/.test(line))).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('inside a string of a body, it is masked as text instead of walked', () => {
    const nested = (inner) => `${'['.repeat(100_000)}${inner}${']'.repeat(100_000)}`;
    expect(cleanValue({ note: nested('"call 13912345678"') }, knownSecrets([]))).toEqual({ note: nested('"call 139****5678"') });
  });
});
