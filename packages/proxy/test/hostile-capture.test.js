// Traffic as an attacker would shape it, taken the whole way on a copy of the spec: through the proxy's capture,
// `spec:add`, the bundle, the mock, the client's generator (and a build of the client) and the docs' samples and
// page. Captured data that names a file or a URL (`{"$ref": "/…/secret.json"}`) must stay data: no tool reads
// what it names, the mock never answers its content. Strings made to end a comment, a string or a shell word
// (`*/`, line ends, U+2028, backticks, `${`, quotes, `</script>`, `$(…)`) must run nowhere.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startMock } from '@qzz/mock';
import { listActions, resolvePointer } from '@qzz/spec/actions';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planScaffold, writePlan } from '../../../spec/lib/scaffold.js';
// The spec's sources are the repository's, not the package's: the helper is imported from the workspace.
import { copySpec, editSource } from '../../../spec/test/spec-copy.js';
import { codeSamples } from '../../docs/src/samples.js';
import { typecheckSamples } from '../../docs/test/typecheck.js';
import { captureThrough, HEADERS } from './round-trip.js';
import { json, startStandIn } from './standin.js';

const run = promisify(execFile);
const CLIENT = fileURLToPath(new URL('../../client/', import.meta.url));
const GENERATOR = join(CLIENT, 'scripts', 'generate.js');
const TSC = join(CLIENT, 'node_modules', 'typescript', 'bin', 'tsc');
const DOCS_BUILD = fileURLToPath(new URL('../../docs/scripts/build.js', import.meta.url));
const ENVELOPE = { success: true, reachPlugin: true, errorCode: 'success' };
/** Markers a leak would show: the secret file's content, and the bait server's answer. */
const FILE_MARKER = 'FILE-MARKER-7f3a';
const URL_MARKER = 'URL-MARKER-9c1e';

/** POSTs `body` to `path` on a server with the business call's credentials; resolves with status, action and text. */
async function post(url, path, body) {
  const response = await fetch(`${url}${path}?access_token=t`, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
  return { status: response.status, action: response.headers.get('x-qzz-action'), text: await response.text() };
}

/** A server every URL in the hostile data points to: anything it receives is a read some tool made. */
const startBait = () => startStandIn((_req, _body, res) => json(res, 200, { leaked: URL_MARKER }));

/** A copy of the spec with a secret file beside it, outside the spec's folder. */
async function copyBesideSecret() {
  const copy = await copySpec();
  const secret = join(copy.dir, '..', 'secret.json');
  await writeFile(secret, JSON.stringify({ leaked: FILE_MARKER }));
  return { copy, secret };
}

describe('captured data that names a file or a URL', () => {
  const route = '/mxoc_pom/mxoc_pom_widget_query';
  let bait;
  let gateway;
  let copy;
  let secret;
  let references;
  let plan;
  let bundle;
  let bundlePath;
  beforeAll(async () => {
    bait = await startBait();
    ({ copy, secret } = await copyBesideSecret());
    // Every way the data could name the secret file or the bait: a path, paths relative to the example's file and
    // to the bundle, URLs (http, file, with a pointer), an OpenAPI externalValue; and JSON Schema's keys of
    // referencing, which are data in an example and must stay.
    references = {
      absolute: { $ref: secret },
      fromExample: { $ref: '../../../secret.json' },
      fromBundle: { $ref: '../../secret.json' },
      url: { $ref: `${bait.url}/ref.json` },
      fileUrl: { $ref: pathToFileURL(secret).href },
      pointer: { $ref: `${bait.url}/pointer.json#/leaked` },
      external: { externalValue: `${bait.url}/external.json` },
      schemaKeys: { $id: `${bait.url}/id`, $schema: `${bait.url}/schema`, $anchor: 'here', $dynamicRef: `${bait.url}/dynamic` },
    };
    gateway = await startStandIn((_req, _body, res) => json(res, 200, { ...ENVELOPE, data: references }));
    const { records } = await captureThrough(copy, gateway.url, route, [{ formId: 'mxoc_pom_widget', pageSize: '10', ...references }]);
    plan = planScaffold(records[0], { specDir: copy.dir });
    writePlan(plan);
    bundlePath = await copy.bundle();
    await copy.lint();
    bundle = JSON.parse(await readFile(bundlePath, 'utf8'));
  }, 120_000);
  afterAll(async () => {
    await copy?.remove();
    await gateway?.close();
    await bait?.close();
  });

  it('describes the fields named `$ref` and keeps the example as data, leaving out only what a tool would follow', () => {
    const request = resolvePointer(bundle, plan.action.request);
    expect(request.properties.absolute.properties.$ref).toMatchObject({ type: 'string' });
    expect(request.properties.external.properties.externalValue).toMatchObject({ type: 'string' });
    const example = bundle.components.examples[plan.action.examples.request];
    expect(example.value).toMatchObject({
      formId: 'mxoc_pom_widget',
      absolute: {},
      url: {},
      external: {},
      schemaKeys: references.schemaKeys,
    });
    expect(example['x-qzz-evidence']).toBe('partial');
    expect(example.description).toContain('`/absolute/$ref`');
    expect(example.description).toContain('`/external/externalValue`');
    expect(plan.notes.join('\n')).toContain(`Record ${plan.action.source}: the request example leaves out /absolute/$ref`);
  });

  it('the mock answers the captured data, never what a file or URL holds', async () => {
    const copyMock = await startMock({ port: 0, spec: bundlePath });
    try {
      const answered = await post(copyMock.url, route, { formId: 'mxoc_pom_widget', pageSize: '10', ...references });
      expect(answered).toMatchObject({ status: 200, action: plan.action.name });
      expect(answered.text).not.toContain(FILE_MARKER);
      expect(answered.text).not.toContain(URL_MARKER);
      expect(JSON.parse(answered.text).data).toMatchObject({
        absolute: {},
        fromExample: {},
        fileUrl: {},
        schemaKeys: references.schemaKeys,
      });
    } finally {
      await copyMock.close();
    }
  });

  it('no tool read a file or URL the data names: capture, spec:add, bundle, lint, mock, client generator', async () => {
    const out = await mkdtemp(join(tmpdir(), 'qzz-generated-'));
    try {
      await run(process.execPath, [GENERATOR, '--spec', bundlePath, '--out', out]);
      expect(await readFile(join(out, 'schema.ts'), 'utf8')).not.toContain(FILE_MARKER);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
    expect(bait.received.map((r) => r.url)).toEqual([]);
    expect(await readFile(bundlePath, 'utf8')).not.toContain(FILE_MARKER);
  });
});

describe('a reference to outside the spec that reaches a tool anyway', () => {
  let bait;
  let copy;
  let secret;
  beforeAll(async () => {
    bait = await startBait();
    ({ copy, secret } = await copyBesideSecret());
  });
  afterAll(async () => {
    await copy?.remove();
    await bait?.close();
  });

  /** Edits one source file of the copy, runs `check`, and puts the file back. */
  async function withEdit(file, edit, check) {
    const before = await editSource(copy.dir, file, edit);
    try {
      await check();
    } finally {
      await writeFile(join(copy.dir, file), before);
    }
  }

  /** The bundle step refuses, names the place, and leaves no bundle behind. */
  async function refusedBundle(pattern) {
    const error = await copy.bundle().then(
      () => undefined,
      (e) => e,
    );
    expect(error?.stderr).toMatch(pattern);
    expect(existsSync(join(copy.dir, 'dist', 'openapi.json'))).toBe(false);
    expect(existsSync(join(copy.dir, 'dist', 'openapi.yaml'))).toBe(false);
  }

  it('the bundle step refuses it in a schema, an extension, an example and an externalValue, before anything is read', async () => {
    await copy.bundle(); // the copy as it is: its own references bundle
    await withEdit(
      'components/schemas/common/Id.yaml',
      (doc) => doc.set('$ref', `${bait.url}/schema.yaml`),
      () => refusedBundle(/Id\.yaml#\/\$ref: `\$ref: http:\/\/127\.0\.0\.1:\d+\/schema\.yaml` points outside the spec's own files/),
    );
    await withEdit(
      'paths/project-manufacturing/pq_orderexe_push_backup.yaml',
      (doc) => doc.setIn(['post', 'x-qzz-actions', 0, 'select'], doc.createNode({ $ref: secret })),
      () => refusedBundle(/pq_orderexe_push_backup\.yaml#\/post\/x-qzz-actions\/0\/select\/\$ref: .*points outside/),
    );
    const [example] = (await readdir(join(copy.dir, 'examples', 'production'))).filter((f) => f.endsWith('.json'));
    await withEdit(
      `examples/production/${example}`,
      (doc) => doc.setIn(['value', 'leak'], doc.createNode({ $ref: '../../../secret.json' })),
      () => refusedBundle(/#\/value\/leak\/\$ref: `\$ref: \.\.\/\.\.\/\.\.\/secret\.json` points outside/),
    );
    await withEdit(
      `examples/production/${example}`,
      (doc) => doc.set('externalValue', `${bait.url}/example.json`),
      () => refusedBundle(/#\/externalValue: `externalValue: http:.*points outside/),
    );
    // Inside the spec, a reference in an example's value is still data Prism would follow: refused after Redocly.
    await withEdit(
      `examples/production/${example}`,
      (doc) => doc.setIn(['value', 'leak'], doc.createNode({ $ref: '../../coverage.yaml' })),
      () => refusedBundle(/bundle: 1 reference.*\n.*\/value\/leak\/\$ref: `\$ref: \.\.\/\.\.\/coverage\.yaml` points outside the bundle/),
    );
    expect(bait.received).toEqual([]);
  });

  it('the mock and the client generator refuse a bundle that holds one, and read nothing', async () => {
    const bundlePath = await copy.bundle();
    const doc = JSON.parse(await readFile(bundlePath, 'utf8'));
    const [name] = Object.keys(doc.components.examples);
    doc.components.examples[name].value = { leak: { $ref: secret }, url: { $ref: `${bait.url}/mock.json` } };
    const hostile = join(copy.dir, '..', 'hostile-bundle.json');
    await writeFile(hostile, JSON.stringify(doc));
    await expect(startMock({ port: 0, spec: hostile })).rejects.toThrow(
      /refers outside itself, which the mock will not follow: .*secret\.json/,
    );
    const out = await mkdtemp(join(tmpdir(), 'qzz-generated-'));
    try {
      const generated = await run(process.execPath, [GENERATOR, '--spec', hostile, '--out', out]).then(
        () => undefined,
        (e) => e,
      );
      expect(generated?.stderr).toMatch(/refers outside itself; nothing generated/);
      expect(await readdir(out)).toEqual([]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
    expect(bait.received).toEqual([]);
  });
});

// The payloads: each would print PWNED (or create a file) if it ran. Written so their own text never shows the
// marker ("PW"+"NED"), since the samples print captured data.
const RUN_JS = 'process.stdout.write("PW"+"NED")';
/** A route a POSIX shell would run a command in, were it not quoted, with an end of comment in it. */
const ROUTE = "/mxoc_pom/x*/w$(touch$IFS'pwned-by-route')";
/** The title a capture may carry (spec:add refuses control characters and braces in it, not these). */
const CAPTURED_TITLE = `工单 */ \`tick\` "double" 'single' </script><script>globalThis.pwned=1</script>`;
/** The title a reviewer pastes into the draft by hand: everything spec:add would have refused too. */
const REVIEWED_TITLE = `工单执行 */ }; globalThis.pwned = "client"; interface Absorb { /* \u2028${RUN_JS}\u2029${RUN_JS}\ntouch pwned-by-title \${x} </script><script>globalThis.pwned=1</script>`;
/** Field names and values of the captured traffic. */
const FIELDS = {
  'a*/b': 'end of comment */',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template's `${` is the hostile text under test.
  'c`${globalThis["pwned"]="key"}`': 'template `${globalThis["pwned"]="value"}`',
  'line\nbreak': `line\n${RUN_JS}`,
  'sep\u2028arator': `sep\u2028${RUN_JS}`,
  'q"\'': 'quotes "\' ',
  '</script><script>globalThis.pwned=1</script>': '</script><script>globalThis.pwned=1</script>',
};

/** A build of @qzz/client from `bundlePath` in `dir`, as `pnpm build` makes it: generated, then compiled by tsc. */
async function buildClient(bundlePath, dir) {
  await cp(join(CLIENT, 'src'), join(dir, 'src'), { recursive: true, filter: (src) => !src.includes(`${sep}generated`) });
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) await cp(join(CLIENT, file), join(dir, file));
  await symlink(join(CLIENT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await run(process.execPath, [GENERATOR, '--spec', bundlePath, '--out', join(dir, 'src', 'generated')]);
  await run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.build.json')]);
}

describe('hostile strings from a capture and a review, in generated code', () => {
  let gateway;
  let copy;
  let work;
  let bundle;
  let bundlePath;
  let action;
  let copyMock;
  beforeAll(async () => {
    copy = await copySpec();
    work = await mkdtemp(join(tmpdir(), 'qzz-hostile-'));
    gateway = await startStandIn((_req, _body, res) => json(res, 200, { ...ENVELOPE, data: { billno: `WW-1\n${RUN_JS}`, ...FIELDS } }));
    const { records } = await captureThrough(copy, gateway.url, ROUTE, [{ formId: 'mxoc_pom_widget', ...FIELDS }]);
    const plan = planScaffold({ ...records[0], title: CAPTURED_TITLE }, { specDir: copy.dir });
    writePlan(plan);
    // The reviewer's title, pasted into the operation and the action.
    await editSource(copy.dir, plan.routeFile, (draft) => {
      draft.setIn(['post', 'summary'], REVIEWED_TITLE);
      draft.setIn(['post', 'x-qzz-actions', 0, 'summary'], REVIEWED_TITLE);
    });
    bundlePath = await copy.bundle();
    bundle = JSON.parse(await readFile(bundlePath, 'utf8'));
    action = listActions(bundle).find((a) => a.name === plan.action.name);
    await buildClient(bundlePath, join(work, 'client'));
    copyMock = await startMock({ port: 0, spec: bundlePath });
  }, 180_000);
  afterAll(async () => {
    await copyMock?.close();
    await gateway?.close();
    await copy?.remove();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the client generated from it type-checks, imports without side effects and keeps the title readable', async () => {
    const dist = pathToFileURL(join(work, 'client', 'dist', 'index.js')).href;
    const { stdout } = await run(process.execPath, [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(dist)}); process.stdout.write(String(globalThis.pwned));`,
    ]);
    expect(stdout).toBe('undefined');
    const actions = await readFile(join(work, 'client', 'src', 'generated', 'actions.ts'), 'utf8');
    expect(actions).toContain(`/** 工单执行 *\\/ }; globalThis.pwned = "client"; interface Absorb { /*`);
    expect(actions).toMatch(new RegExp(`\\n\\s+${action.name}: \\(input: T\\[`));
  });

  it("the docs' samples of it type-check against that client and run without running the payloads", async () => {
    const samples = codeSamples(bundle).get(bundle.paths[ROUTE].post.operationId) ?? [];
    const typescript = samples.find((s) => s.lang === 'TypeScript')?.source ?? '';
    const curl = samples.find((s) => s.lang === 'Shell')?.source ?? '';
    const dir = join(work, 'samples');
    await mkdir(join(dir, 'node_modules', '@qzz'), { recursive: true });
    await symlink(join(work, 'client'), join(dir, 'node_modules', '@qzz', 'client'), 'dir');
    const file = join(dir, 'sample.mts');
    await writeFile(file, typescript);
    expect(typecheckSamples([file], { typeRoots: [join(CLIENT, 'node_modules', '@types')] }).errors).toEqual([]);
    const { outputText } = ts.transpileModule(typescript, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    await writeFile(join(dir, 'sample.mjs'), outputText);
    const env = { ...process.env, QZZ_BASE_URL: copyMock.url };
    const ran = await run(process.execPath, ['sample.mjs'], { cwd: dir, env });
    expect(ran.stdout).not.toContain('PWNED');
    expect(ran.stdout).toContain(`WW-1\n${RUN_JS}`); // the answer's bill number, printed as data
    const curled = await run('bash', ['-c', curl], { cwd: dir, env });
    expect(JSON.parse(curled.stdout)).toMatchObject({ success: true, data: { billno: `WW-1\n${RUN_JS}` } });
    expect((await readdir(dir)).filter((f) => f.startsWith('pwned'))).toEqual([]);
    expect(typescript).toContain('// 工单执行 */ }; globalThis.pwned = "client"; interface Absorb { /* \\u2028process.stdout.write');
  });

  it('the docs page carries the hostile text only escaped inside its scripts', async () => {
    const site = join(work, 'site');
    await run(process.execPath, [DOCS_BUILD, '--spec', bundlePath, '--out', site]);
    const html = await readFile(join(site, 'index.html'), 'utf8');
    expect(html).not.toContain('<script>globalThis.pwned');
    expect(html).toContain('\\u003c/script>\\u003cscript>globalThis.pwned=1\\u003c/script>');
    const page = JSON.parse(await readFile(join(site, 'openapi.json'), 'utf8'));
    expect(JSON.stringify(page)).toContain('</script><script>globalThis.pwned=1</script>'); // as text of the document
  });
});
