// Checking and capture run off the path that forwards: a caller's answer never waits for another exchange's
// check, and the queue of exchanges waiting for the checker is bounded.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChecks } from '../src/checks.js';
import { startProxy } from '../src/index.js';
import { MAX_VALIDATED_BYTES, MAX_WAITING_BYTES, MAX_WAITING_EXCHANGES } from '../src/limits.js';
import { json, manyFields, startStandIn } from './standin.js';

const run = promisify(execFile);
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
  let dir;
  beforeAll(async () => {
    standIn = await startStandIn((req, _body, res) =>
      req.url?.startsWith(HEAVY) ? json(res, 200, { success: true, data: { rows: [] } }) : json(res, 200, seedAnswer),
    );
    dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-off-the-path-'));
  });
  afterAll(async () => {
    await standIn?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const send = (url, path, body) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.arrayBuffer());

  /** The file a capture of the heavy route is kept in, learnt from a proxy that captures one. */
  async function heavyRecordName() {
    const proxy = await startProxy({ upstream: standIn.url, port: 0, capture: join(dir, 'learn') });
    try {
      await send(proxy.url, HEAVY, '{}');
      await proxy.flush();
    } finally {
      await proxy.close();
    }
    const [name] = await readdir(join(dir, 'learn'));
    return name;
  }

  it("forwards the light caller's answer while the heavy exchange's check is held up", async () => {
    // A named pipe where the heavy exchange's record is read back: the checker, settling it, waits until the test
    // writes to the pipe. Whatever the machine's speed, nothing the checker does can happen before that.
    const captures = join(dir, 'captures');
    await mkdir(captures);
    const pipe = join(captures, await heavyRecordName());
    await run('mkfifo', [pipe]);
    const events = [];
    const proxy = await startProxy({
      upstream: standIn.url,
      port: 0,
      capture: captures,
      onReport: (line) => events.push(`${line.route === `POST ${HEAVY}` ? 'heavy' : 'light'} reported`),
    });
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await writeFile(pipe, '{}');
    };
    try {
      await send(proxy.url, HEAVY, heavyBody);
      events.push('heavy answered');
      await send(proxy.url, SEED, seedRequest);
      events.push('light answered');
      // Both answered while the checker is still on the heavy exchange: nothing has been reported yet.
      expect(events).toEqual(['heavy answered', 'light answered']);
      await release();
      await proxy.flush();
      // The seed's light exchange fits the spec: the heavy one's report is all there is.
      expect(events).toEqual(['heavy answered', 'light answered', 'heavy reported']);
    } finally {
      await release();
      await proxy.close();
    }
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
