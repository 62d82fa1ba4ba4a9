// Leave one out: take an action out of a copy of the spec, let its traffic (the mock, with the full spec, as
// the upstream) pass the proxy running on the copy, scaffold the capture back with spec:add, and compare.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startMock } from '@qzz/mock';
import { listActions, resolvePointer } from '@qzz/spec/actions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planScaffold, writePlan } from '../../../spec/lib/scaffold.js';
// The spec's sources are the repository's, not the package's: the helper is imported from the workspace.
import { copySpec, removeAction, removeRoute } from '../../../spec/test/spec-copy.js';
import { captureThrough, HEADERS } from './round-trip.js';

const fullPath = fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
const full = JSON.parse(await readFile(fullPath, 'utf8'));
const run = promisify(execFile);
/** The client's generator, run on the copy's bundle: what `pnpm build` would give the client. */
const GENERATOR = fileURLToPath(new URL('../../client/scripts/generate.js', import.meta.url));

/** The dotted field paths a schema describes (properties, through $ref, allOf and array items). */
function fieldSet(doc, schema, prefix = '', out = new Set(), depth = 0) {
  let node = schema;
  while (node?.$ref) node = resolvePointer(doc, node.$ref);
  if (!node || depth > 12) return out;
  if (node.contentSchema) return fieldSet(doc, node.contentSchema, prefix, out, depth + 1);
  for (const part of node.allOf ?? []) fieldSet(doc, part, prefix, out, depth + 1);
  if (node.items) fieldSet(doc, node.items, prefix, out, depth + 1);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.add(path);
    fieldSet(doc, child, path, out, depth + 1);
  }
  return out;
}
const sorted = (set) => [...set].sort();

/** The dotted field paths a JSON value carries (array items merged). */
function valueFields(value, prefix = '', out = new Set()) {
  if (Array.isArray(value)) {
    for (const item of value) valueFields(item, prefix, out);
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      valueFields(child, path, out);
    }
  }
  return out;
}

let mock;
beforeAll(async () => {
  mock = await startMock({ port: 0 });
});
afterAll(() => mock?.close());

/** Sends `bodies` through a proxy on the copy's bundle, the mock (with the full spec) upstream; returns the records. */
async function capture(copy, path, bodies) {
  const { statuses, records } = await captureThrough(copy, mock.url, path, bodies);
  expect(statuses).toEqual(bodies.map(() => 200));
  return records;
}

/** Scaffolds `record` into the copy, bundles and lints it, and returns the new action from the copy's bundle. */
async function scaffoldBack(copy, record) {
  const plan = planScaffold(record, { specDir: copy.dir });
  writePlan(plan);
  const bundlePath = await copy.bundle();
  await copy.lint(); // rejects on any lint problem
  const doc = JSON.parse(await readFile(bundlePath, 'utf8'));
  return { doc, bundlePath, action: listActions(doc).find((a) => a.name === plan.action.name) };
}

/** The new action answers through the mock serving the copy. */
async function answeredBy(bundlePath, path, body) {
  const copyMock = await startMock({ port: 0, spec: bundlePath });
  try {
    const response = await fetch(`${copyMock.url}${path}?access_token=t`, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
    await response.arrayBuffer();
    return { status: response.status, action: response.headers.get('x-qzz-action') };
  } finally {
    await copyMock.close();
  }
}

describe.each([
  { name: 'pushOrderExecutionToSparePartsUse', shared: false },
  { name: 'pushTransferInToOutsourcedInStock', shared: true },
])('$name, taken out and captured back', ({ name, shared }) => {
  const original = listActions(full).find((a) => a.name === name);
  const body = full.components.examples[original.examples.request].value;
  let copy;
  let records;
  let added;
  beforeAll(async () => {
    copy = await copySpec();
    if (shared) await removeAction(copy.dir, 'paths/outsourcing/push_transfer.yaml', name);
    else await removeRoute(copy.dir, original.path, name);
    records = await capture(copy, original.path, [body, body]);
    added = await scaffoldBack(copy, records[0]);
  });
  afterAll(() => copy?.remove());

  it('captures one record of its route and selector', () => {
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ path: original.path, exchanges: 2, select: shared ? original.select : expect.any(Object) });
  });

  it('scaffolds it back lint-clean with the same request and answer fields', () => {
    expect(added.action).toMatchObject({ path: original.path, source: records[0].source_page, select: original.select });
    expect(sorted(fieldSet(added.doc, { $ref: added.action.request }))).toEqual(sorted(fieldSet(full, { $ref: original.request })));
    // Traffic shows what the answers carry: the captured answer claims exactly the fields the answers had. The
    // spec lists more only where a vendor table names a field that no example holds (the seed's
    // `materialid.model`), which no answer of the mock can carry.
    const specFields = sorted(fieldSet(full, { $ref: original.response }));
    const answered = original.examples.response
      ? valueFields(full.components.examples[original.examples.response].value.data)
      : new Set(specFields);
    expect(sorted(fieldSet(added.doc, { $ref: added.action.response }))).toEqual(specFields.filter((f) => answered.has(f)));
    const anyExample = new Set(Object.values(full.components.examples).flatMap((e) => [...valueFields(e.value?.data)]));
    expect(specFields.filter((f) => !answered.has(f) && anyExample.has(f))).toEqual([]);
    expect(resolvePointer(added.doc, added.action.request)['x-qzz-evidence']).toBe('captured');
  });

  it('answers as the new action through the mock', async () => {
    expect(await answeredBy(added.bundlePath, original.path, body)).toEqual({ status: 200, action: added.action.name });
  });

  it("becomes a function of the client generated from the copy's bundle", async () => {
    const out = await mkdtemp(join(tmpdir(), 'qzz-generated-'));
    try {
      await run(process.execPath, [GENERATOR, '--spec', added.bundlePath, '--out', out]);
      const actions = await readFile(join(out, 'actions.ts'), 'utf8');
      expect(actions).toMatch(new RegExp(`\\n\\s+${added.action.name}: \\(input: T\\[`));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
