// spec:add on bad input: a malformed record, or one the spec already has, is refused with the reason and
// nothing is written. (Its good path — capture, scaffold, lint, mock — is the leave-one-out test of @qzz/proxy.)
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { listActions, resolvePointer } from '../lib/actions.js';
import { parseExample, recordProblems } from '../lib/record.js';
import { planScaffold, ScaffoldError, writePlan } from '../lib/scaffold.js';
import { hasReference, loadBundle, loadRecords, specDir } from './helpers.js';
import { copySpec, editSource, removeAction, removeRoute } from './spec-copy.js';

const run = promisify(execFile);

/** A fingerprint of every source file of the spec, to prove nothing was written. */
async function fingerprint(dir = specDir) {
  const hash = createHash('sha256');
  for (const sub of ['openapi.yaml', 'coverage.yaml', 'paths', 'components', 'examples']) {
    const walk = async (path) => {
      const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
      if (!entries) return hash.update(path).update(await readFile(path));
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) await walk(join(path, e.name));
    };
    await walk(join(dir, sub));
  }
  return hash.digest('hex');
}

/** Runs `pnpm spec:add`'s script; resolves with its exit code and output. */
const specAdd = (...args) =>
  run(process.execPath, [join(specDir, 'scripts', 'add.js'), ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

const seed = {
  source_page: 'captured-pq-orderexe-push-backup-audit-0a1b2c3d',
  source_kind: 'captured',
  method: 'POST',
  path: '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup',
  select: { operation: 'push' },
  body_content_type: 'application/json',
  body_fields: [],
  response_fields: [],
  request_example: '{"operation": "push", "billdata": {"id": "1634800180022794240"}}',
  response_example: null,
};

let tmp;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'qzz-spec-add-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('parseExample', () => {
  it('parses whole JSON text', () => {
    expect(parseExample('{"a": "1"}')).toEqual({ value: { a: '1' }, cut: false });
  });

  it('closes a cut example after its last complete member, inventing nothing', () => {
    expect(parseExample('{"a": "1", "b": {"c": "2", "d": "3"}, "e": [{"f": "4"}, {"g": "5", "h"')).toEqual({
      value: { a: '1', b: { c: '2', d: '3' }, e: [{ f: '4' }, { g: '5' }] },
      cut: true,
    });
    expect(parseExample('{"a": "1}, \\"b", "c')).toEqual({ value: { a: '1}, "b' }, cut: true }); // not fooled by a string
    expect(parseExample('{"a": "1}, ')).toBeUndefined();
    expect(parseExample('{"a')).toBeUndefined();
    expect(parseExample(null)).toBeUndefined();
  });
});

describe('writePlan', () => {
  it('refuses cleanly, leaving nothing, when a file name is longer than the file system allows', async () => {
    const dir = join(tmp, 'long-name');
    await mkdir(dir);
    const files = new Map([
      [join(dir, 'fine.yaml'), 'fine\n'],
      [join(dir, `${'a'.repeat(300)}.yaml`), 'too long a name\n'],
    ]);
    expect(() => writePlan({ files })).toThrow(/Writing the draft failed \(ENAMETOOLONG\); every file is as it was/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('puts everything back when a file cannot be written', async () => {
    const dir = join(tmp, 'rollback');
    await mkdir(join(dir, 'in-the-way', 'not-empty'), { recursive: true });
    await writeFile(join(dir, 'existing.yaml'), 'old\n');
    const files = new Map([
      [join(dir, 'new.yaml'), 'new\n'],
      [join(dir, 'existing.yaml'), 'changed\n'],
      [join(dir, 'in-the-way'), 'a folder is in the way\n'],
    ]);
    // The third rename fails: the first two files are already in place and must be put back.
    expect(() => writePlan({ files })).toThrow(/Writing the draft failed \((EISDIR|ENOTEMPTY)\); every file is as it was/);
    expect((await readdir(dir)).sort()).toEqual(['existing.yaml', 'in-the-way']);
    expect(await readFile(join(dir, 'existing.yaml'), 'utf8')).toBe('old\n');
  });

  it('takes away the folders it made for a draft it could not write', async () => {
    const dir = join(tmp, 'new-folders');
    await mkdir(dir);
    const files = new Map([
      [join(dir, 'paths', 'new-module', 'route.yaml'), 'route\n'],
      [join(dir, 'examples', 'new-module', `${'a'.repeat(300)}.json`), 'too long a name\n'],
    ]);
    expect(() => writePlan({ files })).toThrow(/ENAMETOOLONG/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('a malformed record', () => {
  it('lists every problem', () => {
    expect(recordProblems([])).toEqual(['the record is not a JSON object']);
    const problems = recordProblems({
      source_page: 'my record',
      method: 'POST /x',
      path: 'x',
      body_fields: 'none',
      request_example: { a: 1 },
    });
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/source_page.*\n.*method.*\n.*path.*\n.*body_fields.*\n.*request_example/);
    expect(recordProblems({ ...seed, request_example: null, body_fields: [] })).toEqual([
      'the record shows neither a request example nor body fields: there is nothing to describe',
    ]);
  });

  it('is refused by the CLI, which writes nothing', async () => {
    const before = await fingerprint();
    const file = join(tmp, 'bad.json');
    await writeFile(file, JSON.stringify({ ...seed, path: 'no-slash', source_page: 'API-1' }));
    const result = await specAdd(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/`source_page` must name the record[\s\S]*`path` must be the route[\s\S]*Nothing was written\./);
    await writeFile(file, '{"cut": ');
    const notJson = await specAdd(file);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/Cannot read .*bad\.json as JSON: .*Nothing was written\./);
    expect(await fingerprint()).toBe(before);
  });
});

describe('a record whose naming strings or keys are hostile', () => {
  const deep = (n) => `${'{"a":'.repeat(n)}"x"${'}'.repeat(n)}`;
  // Each record, the problem spec:add must name. JSON.parse makes `__proto__` an own key, as a record file would.
  /** @type {[string, Record<string, unknown>, RegExp][]} */
  const cases = [
    ['a control character in the route', { path: '/mxoc_pom/a\u0000b' }, /`path` must be the route/],
    ['a brace in the route', { path: '/mxoc_pom/{id}' }, /`path` must be the route: .*no braces/],
    ['__proto__ in the route', { path: '/mxoc_pom/__proto__' }, /`path` holds `__proto__`/],
    ['a route over 256 characters', { path: `/mxoc_pom/${'a/'.repeat(150)}` }, /`path` is 310 characters long; at most 256/],
    [
      'a route segment over 100 characters',
      { path: `/mxoc_pom/${'a'.repeat(101)}` },
      /a segment of `path` is 101 characters long; at most 100/,
    ],
    ['a line end in the title', { title: '保存\n审核' }, /`title` holds a control character \(U\+000A\)/],
    ['a line separator in the title', { title: '保存\u2028审核' }, /`title` holds a control character \(U\+2028\)/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template's `${` is the hostile text under test.
    ['a brace in the title', { title: '保存 ${x}' }, /`title` holds `\{` or `\}`/],
    ['__proto__ in the title', { title: '__proto__' }, /`title` holds `__proto__`/],
    ['a title over 200 characters', { title: '保'.repeat(201) }, /`title` is 201 characters long; at most 200/],
    ['a brace in a selector value', { select: { operation: 'push}' } }, /`select.operation` holds `\{` or `\}`/],
    [
      'a control character in a selector value',
      { select: { operation: 'pu\u001bsh' } },
      /`select.operation` holds a control character \(U\+001B\)/,
    ],
    ['a selector value over 100 characters', { select: { operation: 'p'.repeat(101) } }, /`select.operation` is 101 characters long/],
    ['a selector value that is not text', { select: { operation: 1 } }, /`select.operation` must be text/],
    [
      'a selector key `$ref`',
      { select: { $ref: '/etc/passwd' } },
      /the key of `select.\$ref` is `\$ref`, which spec tools would read as a reference/,
    ],
    [
      'a selector key `__proto__`',
      { select: JSON.parse('{"__proto__": {"operation": "push"}}') },
      /the key of `select.__proto__` holds `__proto__`/,
    ],
    [
      'a selector key `constructor`',
      { select: { params: { constructor: 'x' } } },
      /the key of `select.params.constructor` is `constructor`/,
    ],
    ['a method that is no HTTP method', { method: 'constructor' }, /`method` must be an HTTP method/],
    [
      '`__proto__` as a key of the request example',
      { request_example: '{"a": {"__proto__": {"polluted": "1"}}}' },
      /`request_example` holds the key `__proto__` \(at \/a\/__proto__\)/,
    ],
    [
      '`constructor` as a key of the answer',
      { response_example: '{"success": true, "data": {"constructor": "1"}}' },
      /`response_example` holds the key `constructor`/,
    ],
    [
      '`prototype` inside a text/plain body',
      { body_content_type: 'text/plain', request_example: JSON.stringify('{"prototype": "1"}') },
      /`request_example` holds the key `prototype`/,
    ],
    [
      '`constructor` as a field name',
      { body_fields: [{ name: 'billdata.constructor', type: 'string' }] },
      /`body_fields` lists the field `billdata.constructor`/,
    ],
    ['an example nested deeper than 32', { request_example: deep(40) }, /`request_example` nests deeper than 32/],
  ];

  it.each(cases)('%s: refused, naming the field', (_name, change, problem) => {
    const problems = recordProblems({ ...seed, ...change });
    expect(problems.join('\n')).toMatch(problem);
    expect(() => planScaffold({ ...seed, ...change }, { specDir })).toThrow(ScaffoldError);
  });

  it('accepts the text those limits leave: `*/`, quotes, backticks and markup in a title, any URL path character in a route', () => {
    expect(recordProblems({ ...seed, title: '工单 */ `x` "q" \'q\' </script>', path: "/mxoc_pom/x*/w$(touch$IFS'p')" })).toEqual([]);
  });

  it('is refused by the CLI on a route of 100 KiB, with a message and no stack trace, writing nothing', async () => {
    const before = await fingerprint();
    const file = join(tmp, 'long-route.json');
    await writeFile(file, JSON.stringify({ ...seed, path: `/mxoc_pom/${'a'.repeat(100 * 1024)}`, select: {} }));
    const result = await specAdd(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/`path` is 102410 characters long; at most 256\n[\s\S]*Nothing was written\.\n$/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr.length).toBeLessThan(1000);
    expect(await fingerprint()).toBe(before);
  });

  it('names no action longer than a file name allows: a long derived name asks for --name', () => {
    const select = { operation: 'a'.repeat(60), formid: 'b'.repeat(60) };
    const record = { ...seed, path: '/mxoc_pom/widget', select, request_example: JSON.stringify(select) };
    expect(() => planScaffold(record, { specDir })).toThrow(
      /The action name is 12\d characters long \(at most 100\): pass a shorter --name/,
    );
  });
});

describe('captured data holding `$ref` or `externalValue`', () => {
  it('is described by the schema and left out of the example, with a note naming the record', () => {
    const request = { formId: 'x', filter: { $ref: '/etc/passwd', keep: '1' }, link: { externalValue: 'http://127.0.0.1:9/x' } };
    const answer = {
      success: true,
      reachPlugin: true,
      errorCode: 'success',
      data: { rows: [{ $ref: '../../../secret.yaml', $id: 'kept' }] },
    };
    const plan = planScaffold(
      {
        ...seed,
        path: '/mxoc_pom/widget_query',
        select: {},
        request_example: JSON.stringify(request),
        response_example: JSON.stringify(answer),
      },
      { specDir },
    );
    const text = (suffix) => [...plan.files].find(([f]) => f.endsWith(suffix))?.[1] ?? '';
    const file = (suffix) => JSON.parse(text(suffix));
    const requestExample = file('_request.json');
    expect(requestExample.value).toEqual({ formId: 'x', filter: { keep: '1' }, link: {} });
    expect(requestExample['x-qzz-evidence']).toBe('partial');
    expect(requestExample.description).toMatch(/Left out: `\/filter\/\$ref`, `\/link\/externalValue`, which spec tools would follow/);
    expect(file('_response.json').value.data).toEqual({ rows: [{ $id: 'kept' }] });
    const schema = parse(text('Request.yaml'));
    expect(schema.properties.filter.properties.$ref).toMatchObject({ type: 'string' });
    expect(plan.notes.join('\n')).toMatch(
      new RegExp(
        `Record ${seed.source_page}: the request example leaves out /filter/\\$ref, /link/externalValue[\\s\\S]*the response example leaves out /data/rows/0/\\$ref`,
      ),
    );
  });
});

describe('the bundle spec:add plans against', () => {
  it('is made again only when the sources changed since the last bundle', async () => {
    const copy = await copySpec();
    try {
      await copy.bundle();
      const bundle = join(copy.dir, 'dist', 'openapi.json');
      const written = async () => (await stat(bundle)).mtimeMs;
      const first = await written();
      const file = join(tmp, 'existing-in-copy.json');
      await writeFile(file, JSON.stringify(seed));
      // Refused (the copy has the action), after planning against the bundle: which it took as it was.
      const add = () => run(process.execPath, [join(copy.dir, 'scripts', 'add.js'), file]).catch((error) => error);
      expect((await add()).code).toBe(1);
      expect(await written()).toBe(first);
      await editSource(copy.dir, 'labels/en.yaml', (doc) => doc.set('x-qzz-round-trip', 'changed'));
      expect((await add()).code).toBe(1);
      expect(await written()).toBeGreaterThan(first);
    } finally {
      await copy.remove();
    }
  });
});

describe('a record the spec already has', () => {
  it('is refused, naming the file to edit', async () => {
    expect(() => planScaffold(seed, { specDir })).toThrow(ScaffoldError);
    expect(() => planScaffold(seed, { specDir })).toThrow(
      /already has action `pushOrderExecutionToSparePartsUse` selected by \{"operation":"push"\}: edit .*spec\/paths\/project-manufacturing\/pq_orderexe_push_backup\.yaml instead/,
    );
    const before = await fingerprint();
    const file = join(tmp, 'existing.json');
    await writeFile(file, JSON.stringify(seed));
    const result = await specAdd(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/edit .*pq_orderexe_push_backup\.yaml instead\.\nNothing was written\./);
    expect(await fingerprint()).toBe(before);
  });

  it('is refused when it carries no values that tell a new action apart on a known route', () => {
    const { select: _none, ...record } = { ...seed, request_example: '{"billdata": {"id": "1"}}' };
    expect(() => planScaffold(record, { specDir })).toThrow(
      /carries no values that tell a new action apart .*: edit .*pq_orderexe_push_backup\.yaml instead/,
    );
  });

  it("takes a new route's module from the spec's routes that share its service words, or a word that is a module", () => {
    const route = (path) => planScaffold({ ...seed, path, select: {} }, { specDir }).routeFile;
    expect(route('/mxoc_pom/mxoc_pom_widget_query')).toBe('paths/production/mxoc_pom_widget_query.yaml'); // same first segment
    expect(route('/mxoc_om/widget_operate')).toBe('paths/outsourcing/widget_operate.yaml'); // `om` is outsourcing's
    expect(route('/mxoc_crm/customer_query')).toBe('paths/crm/customer_query.yaml'); // `crm` is a module
    expect(() => route('/mxoc_pom_ext/widget')).toThrow(/pass --module <slug>/); // `pom` and `ext` disagree
  });

  it('says which module to name when the route fits none', () => {
    expect(() => planScaffold({ ...seed, path: '/mxoc_unknown/thing', select: {} }, { specDir })).toThrow(
      /pass --module <slug>, one of system, engineering/,
    );
  });

  it.runIf(hasReference)('refuses every reference record as already specified, naming its path file', () => {
    for (const record of loadRecords()) {
      let error;
      try {
        planScaffold(record, { specDir });
      } catch (e) {
        error = e;
      }
      expect(error, record.source_page).toBeInstanceOf(ScaffoldError);
      expect(error.message, record.source_page).toMatch(/already (has action|specified as action)|edit .*spec\/paths\//);
    }
  });
});

/** The dotted field paths a schema lists: through $ref (into the bundle, or a file beside `file`), allOf and items. */
function schemaFields(schema, resolve, prefix = '', out = new Set(), depth = 0) {
  const node = resolve(schema);
  if (!node || depth > 12) return out;
  if (node.contentSchema) return schemaFields(node.contentSchema, resolve, prefix, out, depth + 1);
  for (const part of node.allOf ?? []) schemaFields(part, resolve, prefix, out, depth + 1);
  if (node.items) schemaFields(node.items, resolve, prefix, out, depth + 1);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.add(path);
    schemaFields(child, resolve, path, out, depth + 1);
  }
  return out;
}

/**
 * The names a person adds in review, by docs/spec-layout.md, that spec:add does not draft: the key a cut example
 * names before the cut inside its value (`"mxoc_applicant_id": "156165…`), and a field table's dotted reference
 * name, flattened as the examples write such names (`mxoc_applicant.id` → `mxoc_applicant_id`).
 */
function reviewedNames(record) {
  const cutKeys = [record.request_example, record.response_example].map((text) => /"([^"\\]+)"\s*:\s*"[^"]*$/.exec(text ?? '')?.[1]);
  const dotted = [...(record.body_fields ?? []), ...(record.response_fields ?? [])]
    .filter((row) => !row.path_from_example && row.type && row.name?.includes('.'))
    .flatMap((row) => row.name.split('.').map((_, i, parts) => parts.slice(i).join('_')));
  return new Set([...cutKeys, ...dotted].filter(Boolean));
}

describe('a new action on a route with a select-all action', () => {
  it('joins the route as an anyOf branch, with a note, and lints clean', async () => {
    const copy = await copySpec();
    onTestFinished(() => copy.remove());
    // om_operate: the receipt notice's save/audit (select {}) without the clause that keeps pushes out, as where
    // nothing tells its bodies apart: a new push beside it cannot exclude it.
    const notice = join(copy.dir, 'components', 'schemas', 'outsourcing', 'SaveAuditReceiptNoticeRequest.yaml');
    const schema = parseDocument(await readFile(notice, 'utf8'));
    expect(schema.has('not')).toBe(true);
    schema.delete('not');
    await writeFile(notice, schema.toString());
    await copy.bundle();
    const record = {
      source_page: 'captured-om-operate-push-mxoc-om-receiplist-mxoc-om-returnlist-0a1b2c3d',
      source_kind: 'captured',
      method: 'POST',
      path: '/mxoc_om_ext/om_operate',
      select: { operation: 'push', formid: 'mxoc_om_receiplist', push: 'mxoc_om_returnlist' },
      body_content_type: 'application/json',
      request_example: JSON.stringify({
        operation: 'push',
        formid: 'mxoc_om_receiplist',
        push: 'mxoc_om_returnlist',
        billdata: { id: '1504361460845790208' },
      }),
      response_example: JSON.stringify({
        success: true,
        reachPlugin: true,
        errorCode: 'success',
        data: { id: '1504361460845790209', billno: 'WWTL-0001', qty: '1.0000000000' },
      }),
      body_fields: [],
      response_fields: [],
      excerpt_complete: true,
    };
    const plan = planScaffold(record, { specDir: copy.dir });
    expect(plan.action).toMatchObject({ kind: 'push', from: 'mxoc_om_receiplist', to: 'mxoc_om_returnlist', select: record.select });
    expect(plan.notes.join('\n')).toMatch(/is now `anyOf`/);
    writePlan(plan);
    const doc = JSON.parse(await readFile(await copy.bundle(), 'utf8'));
    await copy.lint();
    const body = doc.paths['/mxoc_om_ext/om_operate'].post.requestBody.content['application/json'].schema;
    expect(body.anyOf.map((b) => b.$ref.split('/').at(-1))).toContain(`${plan.action.request.split('/').at(-1)}`);
    expect(
      listActions(doc)
        .filter((a) => a.path === '/mxoc_om_ext/om_operate')
        .map((a) => a.name),
    ).toContain(plan.action.name);
  });
});

describe.runIf(hasReference)('a reference record taken out of a copy of the spec', () => {
  const bundle = loadBundle();
  const actions = listActions(bundle);
  const records = hasReference ? loadRecords() : [];
  const rootDoc = parse(readFileSync(join(specDir, 'openapi.yaml'), 'utf8'));

  it.each(records.map((r) => [r.source_page, r]))('%s: spec:add reproduces its field sets', async (_source, record) => {
    const action = actions.find((a) => a.source === record.source_page);
    const alone = actions.filter((a) => a.path === action.path).length === 1;
    const copy = await copySpec();
    onTestFinished(() => copy.remove());
    // The copy without the action: sources edited, and its bundle (what spec:add reads) without it too.
    const without = structuredClone(bundle);
    if (alone) {
      await removeRoute(copy.dir, action.path, action.name);
      delete without.paths[action.path];
    } else {
      await removeAction(copy.dir, rootDoc.paths[action.path].$ref, action.name);
      const operation = without.paths[action.path][action.method];
      operation['x-qzz-actions'] = operation['x-qzz-actions'].filter((a) => a.name !== action.name);
    }
    await mkdir(join(copy.dir, 'dist'), { recursive: true });
    await writeFile(join(copy.dir, 'dist', 'openapi.json'), JSON.stringify(without));
    if (!alone && Object.keys(action.select).length === 0) {
      // The action that takes any body on a shared route: no values tell it apart, so a person adds it.
      expect(() => planScaffold(record, { specDir: copy.dir })).toThrow(
        /carries no values that tell a new action apart .*: edit .* instead/,
      );
      return;
    }
    const plan = planScaffold(record, { specDir: copy.dir });
    if (!alone) expect(plan.action.select, 'select').toEqual(action.select);
    const component = (pointer) => {
      const name = pointer.split('/').at(-1);
      const file = [...plan.files.keys()].find((f) => f.endsWith(`/${name}.yaml`));
      return file ? parse(plan.files.get(file)) : undefined;
    };
    // Drafted schemas reference only ../common/*.yaml (leaves: Id) besides their own inline nodes.
    const draft = (node) => (typeof node?.$ref === 'string' && node.$ref.startsWith('../common/') ? {} : node);
    const original = (node) => {
      let at = node;
      while (at?.$ref) at = resolvePointer(bundle, at.$ref);
      return at;
    };
    const fields = (root, resolve) => [...schemaFields(root, resolve)].sort();
    // What the spec holds beyond the draft is only what review adds by the layout's conventions.
    const reviewed = reviewedNames(record);
    const specified = (pointer, drafted) =>
      fields({ $ref: pointer }, original).filter((f) => drafted.includes(f) || !reviewed.has(/** @type {string} */ (f.split('.').at(-1))));
    const drafted = (pointer) => fields(component(pointer), draft);
    expect(drafted(plan.action.request), 'request').toEqual(specified(action.request, drafted(plan.action.request)));
    if (plan.action.response.endsWith('/UncapturedData')) expect(action.response, 'response').toMatch(/UncapturedData$/);
    else if (actions.filter((a) => a.response === action.response).length === 1) {
      expect(drafted(plan.action.response), 'response').toEqual(specified(action.response, drafted(plan.action.response)));
    } else {
      // An answer schema several actions share (the spare-parts use bill) unites their pages: one page gives part of it.
      expect(fields({ $ref: action.response }, original), 'response').toEqual(
        expect.arrayContaining(fields(component(plan.action.response), draft)),
      );
    }
  });
});

describe('labels in a draft', () => {
  it('marks an unlabelled field with x-qzz-label: none, as the spec does, and never writes the old sentence', async () => {
    const copy = await copySpec();
    onTestFinished(() => copy.remove());
    await copy.bundle();
    const record = {
      source_page: 'captured-widget-query-0a1b2c3d',
      source_kind: 'captured',
      method: 'POST',
      path: '/mxoc_pom/mxoc_pom_widget_query',
      body_content_type: 'application/json',
      request_example: JSON.stringify({ formId: 'mxoc_pom_widget', pageSize: '10' }),
      response_example: JSON.stringify({
        success: true,
        reachPlugin: true,
        errorCode: 'success',
        data: { rows: [{ id: '1504361460845790209', qty: '1.0' }] },
      }),
      body_fields: [{ name: 'pageSize', type: 'string', desc: '每页返回记录数', path_from_example: 'pageSize' }],
      response_fields: [],
      excerpt_complete: true,
    };
    const plan = planScaffold(record, { specDir: copy.dir });
    const written = [...plan.files.values()].join('\n');
    expect(written).not.toMatch(/Not labelled/);
    const [, requestText = ''] = [...plan.files].find(([file]) => file.endsWith(`/${plan.action.request.split('/').at(-1)}.yaml`)) ?? [];
    const request = parse(requestText);
    expect(request.properties.pageSize.description).toBe('每页返回记录数');
    expect(request.properties.formId['x-qzz-label']).toBe('none');
  });
});
