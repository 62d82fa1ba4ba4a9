// Checking and capture run off the path that forwards: a caller's answer never waits for another exchange's
// check, and the queue of exchanges waiting for the checker is bounded.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChecks } from '../src/checks.js';
import { startProxy } from '../src/index.js';
import { MAX_VALIDATED_BYTES, MAX_WAITING_BYTES, MAX_WAITING_EXCHANGES } from '../src/limits.js';
import { json, manyFields, startStandIn } from './standin.js';

const bundle = fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
const doc = JSON.parse(await readFile(bundle, 'utf8'));
const SEED = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
const HEAVY = '/mxoc_widget/heavy_list';
const seedRequest = JSON.stringify(doc.components.examples.pushOrderExecutionToSparePartsUse_request.value);
const seedAnswer = doc.components.examples.pushOrderExecutionToSparePartsUse_response.value;
// 80,000 fields in 850 KiB, on a route the spec lacks: checked and captured field by field.
const heavyBody = JSON.stringify(manyFields(80_000));

describe('a heavy exchange and a light one', () => {
  let standIn;
  let proxy;
  let dir;
  /** What happened, in order: answers as the callers got them, report lines as the report got them. */
  const events = [];
  beforeAll(async () => {
    standIn = await startStandIn((req, _body, res) =>
      req.url?.startsWith(HEAVY) ? json(res, 200, { success: true, data: { rows: [] } }) : json(res, 200, seedAnswer),
    );
    dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-off-the-path-'));
    proxy = await startProxy({
      upstream: standIn.url,
      port: 0,
      capture: join(dir, 'captures'),
      onReport: (line) => events.push(`${line.route === `POST ${HEAVY}` ? 'heavy' : 'light'} reported`),
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await standIn?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("forwards the light caller's answer while the heavy exchanges are still being checked", async () => {
    const send = (path, body) =>
      fetch(`${proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.arrayBuffer());
    // Three heavy exchanges, answered one after another: their checks queue up in the checker.
    for (let i = 0; i < 3; i++) {
      await send(HEAVY, heavyBody);
      events.push('heavy answered');
    }
    await send(SEED, seedRequest);
    events.push('light answered');
    await proxy.flush();
    // Checked on the forwarding thread, each heavy exchange would be reported before the next caller's answer
    // could even be read: here the light answer comes first, and its own check waits its turn.
    expect(events.indexOf('light answered')).toBe(3);
    expect(events.indexOf('heavy reported')).toBeGreaterThan(3);
    expect(events).toContain('heavy reported');
  });
});

describe('the queue of exchanges waiting for the checker', () => {
  /** A finished exchange of the seed, its kept bodies `bytes` long each (in buffers of their own). */
  const finished = (bytes) => {
    const kept = (text) => {
      const body = new Uint8Array(Math.max(bytes, Buffer.byteLength(text)));
      body.fill(0x20);
      body.set(Buffer.from(text));
      return { bytes: body, size: body.length, overflow: false };
    };
    return {
      time: new Date().toISOString(),
      method: 'POST',
      pathname: SEED,
      search: '',
      headers: { 'content-type': 'application/json' },
      headerNames: ['content-type'],
      status: 200,
      responseHeaders: { 'content-type': 'application/json' },
      request: kept(seedRequest),
      response: kept(JSON.stringify(seedAnswer)),
    };
  };

  it(`takes at most ${MAX_WAITING_EXCHANGES} exchanges, or ${MAX_WAITING_BYTES / 2 ** 20} MiB of bodies, and refuses the next`, async () => {
    let settled = 0;
    const checks = await startChecks({ spec: bundle, log: () => {}, onSettled: () => settled++ });
    try {
      // Submitted in one turn of the event loop: the checker cannot have answered any of them yet.
      const taken = Array.from({ length: MAX_WAITING_EXCHANGES + 1 }, () => checks.submit(finished(0)));
      expect(taken.filter(Boolean)).toHaveLength(MAX_WAITING_EXCHANGES);
      expect(taken.at(-1)).toBe(false);
      await checks.flush();
      expect(settled).toBe(MAX_WAITING_EXCHANGES);
      // Two bodies of 1 MiB each: the bytes run out first.
      const big = Array.from({ length: MAX_WAITING_EXCHANGES }, () => checks.submit(finished(MAX_VALIDATED_BYTES)));
      expect(big.filter(Boolean)).toHaveLength(MAX_WAITING_BYTES / (2 * MAX_VALIDATED_BYTES));
      await checks.flush();
      // Once the checker has caught up, it takes exchanges again.
      expect(checks.submit(finished(0))).toBe(true);
      await checks.flush();
    } finally {
      await checks.close();
    }
  });
});
