// Bounded output and memory: a discrepancy repeated across array items is one report line with a count, per
// exchange and across exchanges; the checker checks 10,000-item arrays in a small heap; the capture's memory
// does not grow with the number of routes, nor a record with the number of fields.
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCapture } from '../src/capture.js';
import { MAX_FINDINGS } from '../src/check.js';
import { startProxy } from '../src/index.js';
import { MAX_RECORD_FIELDS } from '../src/limits.js';
import { knownSecrets } from '../src/redact.js';
import { json, manyFields, startStandIn } from './standin.js';

const bundle = fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
const doc = JSON.parse(await readFile(bundle, 'utf8'));
const SEED = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
const ACTION = 'pushOrderExecutionToSparePartsUse';
const seedRequest = doc.components.examples[`${ACTION}_request`].value;
const exampleItem = doc.components.examples[`${ACTION}_response`].value.data.material_entity[0];

/** The seed's documented answer with `count` items that each carry only a `qty` of the wrong type. */
function itemsAnswer(count) {
  const answer = structuredClone(doc.components.examples[`${ACTION}_response`].value);
  answer.data.material_entity = Array.from({ length: count }, () => ({ qty: 5 }));
  return answer;
}

/**
 * Runs `code` (an ES module body that may use `workerData` and must post one message) in a worker whose heap
 * is `heapMb` MiB; resolves with its message, or with the error that ended it (ERR_WORKER_OUT_OF_MEMORY).
 * @returns {Promise<{ message?: any, error?: Error }>}
 */
async function inSmallHeap(heapMb, code, workerData) {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), {
    workerData,
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  const outcome = await Promise.race([
    once(worker, 'message').then(([message]) => ({ message })),
    once(worker, 'error').then(([error]) => ({ error })),
  ]);
  await worker.terminate();
  return outcome;
}

describe('the report', () => {
  let standIn;
  let proxy;
  let dir;
  const reports = [];
  beforeAll(async () => {
    const tenThousand = itemsAnswer(10_000);
    standIn = await startStandIn((_req, _body, res) => json(res, 200, tenThousand));
    dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-bounds-'));
    proxy = await startProxy({ upstream: standIn.url, port: 0, report: join(dir, 'report.jsonl'), onReport: (line) => reports.push(line) });
  });
  afterAll(async () => {
    await proxy?.close();
    await standIn?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const push = () =>
    fetch(`${proxy.url}${SEED}?access_token=t`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(seedRequest),
    }).then((r) => r.arrayBuffer());

  it('says a discrepancy of 10,000 array items once, with its count, under its pattern', async () => {
    await push();
    await proxy.flush();
    // One line per field of the documented item: `qty` has the wrong type, every other field is missing.
    expect(reports).toHaveLength(Object.keys(exampleItem).length);
    expect(reports).toContainEqual(
      expect.objectContaining({
        action: ACTION,
        direction: 'response',
        pointer: '/data/material_entity/0/qty',
        pattern: '/data/material_entity/*/qty',
        kind: 'type',
        count: 10_000,
        exchanges: 1,
      }),
    );
    expect(reports.every((line) => line.count === 10_000 && line.pattern.startsWith('/data/material_entity/*/'))).toBe(true);
  });

  it('says it once across exchanges too: repeats are counted, and summed up at the flush', async () => {
    const before = reports.length;
    for (let i = 0; i < 9; i++) await push();
    await proxy.flush();
    const repeats = reports.slice(before);
    expect(repeats).toHaveLength(Object.keys(exampleItem).length);
    expect(repeats.every((line) => line.repeat === true && line.exchanges === 9 && line.count === 90_000)).toBe(true);
    // 10 exchanges of 10,000 items: as many lines in the file as fields, twice (it was a line per item and field).
    const file = (await readFile(join(dir, 'report.jsonl'), 'utf8')).trim().split('\n');
    expect(file).toHaveLength(2 * Object.keys(exampleItem).length);
  });

  it(`lists at most ${MAX_FINDINGS} patterns of one exchange and counts the rest`, async () => {
    const lines = [];
    const many = await startProxy({ upstream: standIn.url, port: 0, onReport: (line) => lines.push(line) });
    try {
      // 80,000 fields the push's request schema does not list, in 850 KiB.
      const billdata = manyFields(80_000);
      await fetch(`${many.url}${SEED}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...seedRequest, billdata }),
      }).then((r) => r.arrayBuffer());
      await many.flush();
    } finally {
      await many.close();
    }
    const request = lines.filter((line) => line.direction === 'request');
    expect(request).toHaveLength(MAX_FINDINGS + 1);
    expect(request.at(-1)).toMatchObject({ kind: 'more-discrepancies', count: 80_000 - MAX_FINDINGS });
  });
});

describe('memory', () => {
  it('checks an answer of 10,000 items within a 48 MiB heap', async () => {
    const code = `
      import { readFileSync } from 'node:fs';
      import { parentPort, workerData } from 'node:worker_threads';
      const { createChecker } = await import(workerData.check);
      const doc = JSON.parse(readFileSync(workerData.bundle, 'utf8'));
      const checker = createChecker(doc);
      const route = checker.routes.get('POST ${SEED}');
      const action = route.actions.find((a) => a.name === '${ACTION}');
      const findings = checker.checkResponse(route, action, 200, workerData.answer, 'application/json');
      parentPort.postMessage(findings.map(({ pattern, kind, count }) => ({ pattern, kind, count })));`;
    const check = new URL('../src/check.js', import.meta.url).href;
    const { message, error } = await inSmallHeap(48, code, { check, bundle, answer: itemsAnswer(10_000) });
    expect(error).toBeUndefined();
    expect(message).toContainEqual({ pattern: '/data/material_entity/*/qty', kind: 'type', count: 10_000 });
  });

  it('captures 1,500 routes with 50 KiB bodies within a 40 MiB heap', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-capture-heap-'));
    try {
      const code = `
        import { parentPort, workerData } from 'node:worker_threads';
        const { openCapture } = await import(workerData.capture);
        const { knownSecrets } = await import(workerData.redact);
        const store = await openCapture(workerData.dir);
        const secrets = knownSecrets([]);
        const note = 'word '.repeat(10_000);
        for (let i = 0; i < 1500; i++) {
          await store.add({ method: 'POST', path: '/mxoc_widget' + i + '/list', selector: {}, query: new URLSearchParams(), headers: {}, headerNames: [],
            contentType: 'application/json', body: { note, i: String(i) }, status: 200, answer: { success: true, data: { note } }, secrets });
        }
        await store.flush();
        parentPort.postMessage('done');`;
      const { message, error } = await inSmallHeap(40, code, {
        capture: new URL('../src/capture.js', import.meta.url).href,
        redact: new URL('../src/redact.js', import.meta.url).href,
        dir,
      });
      expect(error).toBeUndefined();
      expect(message).toBe('done');
      expect(await readdir(dir)).toHaveLength(1500);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it(`keeps at most ${MAX_RECORD_FIELDS} fields per body in a record, and says it is incomplete`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-capture-fields-'));
    try {
      const store = await openCapture(dir);
      const body = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`field${i}`, 'x']));
      const file = await store.add({
        method: 'POST',
        path: '/mxoc_widget/wide',
        selector: {},
        query: new URLSearchParams(),
        headers: {},
        headerNames: [],
        contentType: 'application/json',
        body,
        status: 200,
        answer: { success: true, data: {} },
        secrets: knownSecrets([]),
      });
      const record = JSON.parse(await readFile(file, 'utf8'));
      expect(record.body_fields).toHaveLength(MAX_RECORD_FIELDS);
      expect(record.excerpt_complete).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
