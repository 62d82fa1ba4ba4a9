// `pnpm spec:add`: an evidence record (a reference page's `endpoints/*.json`, or one the proxy captured) turned
// into a draft in this spec's layout, for a person to review. It claims nothing beyond the record: types come
// from the example values (the wire truth) and the field tables, `required` only where the record says so or
// for the values that select the action, no pattern but the Id schema for 19-digit ids, schemas stay open.
// Nothing is written unless every file can be: the plan is built and checked first.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isMap, isSeq, parse, parseDocument, stringify } from 'yaml';
import { COMPONENT_SCHEMAS, isObject, listActions, moduleKey, selectorKey, selectorOf, selectPaths, valueAt } from './actions.js';
import { withoutReferences } from './json-refs.js';
import { LIMITS, parseExample, recordProblems } from './record.js';
import { schemaValidator } from './validate.js';

const ENVELOPE_FIELDS = new Set(['success', 'reachPlugin', 'errorCode', 'data']);
const ID = /^-?[0-9]{19}$/;

/** A problem with the input: the CLI prints its message and writes nothing. */
export class ScaffoldError extends Error {}

const pascal = (text) => text.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '');
const camel = (text) => pascal(text).replace(/^[A-Z]/, (c) => c.toLowerCase());

/** Leaf values of a select object, in order. */
const selectValues = (select) => Object.values(select ?? {}).flatMap((v) => (isObject(v) ? selectValues(v) : [v]));
const sameSelect = (a, b) => selectorKey(a) === selectorKey(b);

/** The kind of action, from the vendor's title when there is one, else from the selecting `operation` or the route. */
function kindOf(record, select) {
  const title = record.title ?? '';
  if (/下推/.test(title)) return 'push';
  if (/保存.*审核|审核.*保存/.test(title)) return 'save-audit';
  if (/审核/.test(title)) return 'audit';
  if (/保存/.test(title)) return 'save';
  if (/查询|详情|列表|获取/.test(title)) return 'query';
  const operation = String(select.operation ?? select.params?.operate ?? '').toLowerCase();
  if (['push', 'save', 'audit'].includes(operation)) return operation;
  if (/query|list|get|detail/i.test(record.path.split('/').at(-1) ?? '')) return 'query';
  return 'operate';
}

/** One schema node for a wire value: strings stay strings, a 19-digit string is an Id, nothing is constrained beyond that. */
function schemaOfValue(value, ctx, path) {
  const label = ctx.labels.get(path);
  /** @param {Record<string, any>} node */
  const described = ({ $ref, type, ...rest }) => ({
    ...($ref ? { $ref } : { type }),
    ...(label !== undefined ? { description: label } : ctx.unlabelled(path)),
    ...rest,
  });
  if (typeof value === 'string')
    return ID.test(value) && !ctx.types.get(path)?.includes('null')
      ? described({ $ref: '../common/Id.yaml' })
      : described(typed(ctx.types.get(path), 'string'));
  if (typeof value === 'number') return described(typed(ctx.types.get(path), 'number'));
  if (typeof value === 'boolean') return described(typed(ctx.types.get(path), 'boolean'));
  if (value === null) return described(ctx.types.get(path) ? typed(ctx.types.get(path), 'null') : {});
  if (Array.isArray(value)) {
    const objects = value.filter(isObject);
    if (objects.length) return described({ type: 'array', items: objectSchema(Object.assign({}, ...objects), ctx, path) });
    if (value.length) return described({ type: 'array', items: schemaOfValue(value[0], { ...ctx, labels: new Map() }, `${path}[]`) });
    return described({ type: 'array', items: {} });
  }
  return described(objectSchema(value, ctx, path));
}

/** A JSON Schema `type` from a record's type names (`string|null`, `integer`), or `fallback`. */
function typed(types, fallback) {
  const names = [
    ...new Set(
      (types ?? [fallback])
        .map((t) => (t === 'integer' ? 'number' : t))
        .filter((t) => ['string', 'number', 'boolean', 'null', 'object', 'array'].includes(t)),
    ),
  ];
  if (!names.length) return { type: fallback };
  return { type: names.length === 1 ? names[0] : names };
}

/** An object's schema: the example's members, then fields the record lists that the example does not show. Always open. */
function objectSchema(value, ctx, path) {
  const properties = {};
  for (const [key, child] of Object.entries(value)) properties[key] = schemaOfValue(child, ctx, path ? `${path}.${key}` : key);
  for (const [fieldPath, types] of ctx.types) {
    const parent = fieldPath.includes('.') ? fieldPath.slice(0, fieldPath.lastIndexOf('.')) : '';
    const key = fieldPath.slice(parent ? parent.length + 1 : 0);
    // The table's `mxoc_picker` names the example's `mxoc_picker_name`, `mxoc_picker_number`: no field of its own.
    if (parent !== path || Object.hasOwn(properties, key) || Object.keys(value).some((k) => k.startsWith(`${key}_`))) continue;
    properties[key] = fieldOnlySchema(types, ctx, fieldPath);
  }
  const required = Object.keys(properties).filter((key) => ctx.required.has(path ? `${path}.${key}` : key) && Object.hasOwn(value, key));
  return { type: 'object', ...(required.length ? { required } : {}), properties };
}

/** A field the record lists but no example shows: its listed type only. */
function fieldOnlySchema(types, ctx, path) {
  const node = types.some((t) => t.startsWith('array')) ? { type: 'array', items: {} } : typed(types, 'string');
  if (node.type === 'object') {
    const children = {};
    for (const [fieldPath, childTypes] of ctx.types) {
      if (fieldPath.startsWith(`${path}.`) && !fieldPath.slice(path.length + 1).includes('.'))
        children[fieldPath.slice(path.length + 1)] = fieldOnlySchema(childTypes, ctx, fieldPath);
    }
    node.properties = children;
  }
  const label = ctx.labels.get(path);
  return { ...node, ...(label !== undefined ? { description: label } : ctx.unlabelled(path)) };
}

/** Field paths of a record's list, with their types, labels and `required` marks. Flat names follow their parent (`billdata` then `id`). */
function fieldTable(fields, { skipEnvelope, example }) {
  // Containers: the paths that hold members, in the example (objects, arrays of objects) or typed so in the table.
  const containers = new Set();
  const present = new Set();
  const walk = (value, path) => {
    if (path) present.add(path);
    if (Array.isArray(value)) {
      for (const item of value) walk(item, path);
      return;
    }
    if (!isObject(value)) return;
    if (path) containers.add(path);
    for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key);
  };
  walk(example, '');
  for (const field of fields ?? []) {
    const path = field.path_from_example ?? field.name;
    if (['object', 'array'].includes(String(field.type).split('[')[0])) containers.add(path);
    // An entry table (`material_entity`, `entryentity`) holds its lines' members even where no example shows it.
    const parts = path.split('.');
    parts.slice(0, -1).forEach((part, i) => {
      if (/(entity|entry)$/.test(part)) containers.add(parts.slice(0, i + 1).join('.'));
    });
  }
  // A table path through something that is no container may be the wire's flattened name (the seed's table
  // `materialid.number` is its example's `materialid_number`), but only an example shows it: a flattened name
  // no example carries is a guess, and the field is left out (`unplaced`) rather than given that name.
  const wirePath = (path) =>
    path.split('.').reduce((at, part) => (at === undefined ? part : containers.has(at) ? `${at}.${part}` : `${at}_${part}`), undefined);
  const types = new Map();
  const labels = new Map();
  const required = new Set();
  /** @type {string[]} */
  const unplaced = [];
  // The vendor's tables are flat: a field listed after an object-typed field is that object's member.
  let parentObject;
  for (const field of fields ?? []) {
    // A field cut off by the page's excerpt is kept when its name and type are whole; its cut label is not.
    if (field.type === null || field.type === undefined || !field.name.trim()) continue;
    if (skipEnvelope && ENVELOPE_FIELDS.has(field.name) && !field.path_from_example) continue;
    const tablePath = parentObject && !field.name.includes('.') ? `${parentObject}.${field.name}` : field.name;
    const path = field.path_from_example ?? wirePath(tablePath);
    if (!field.path_from_example && path !== tablePath && !present.has(path)) {
      unplaced.push(`\`${tablePath}\`${typeof field.desc === 'string' && field.desc.trim() ? ` (${field.desc.trim()})` : ''}`);
      continue;
    }
    if (field.type === 'object' && !field.path_from_example) parentObject = path;
    const fieldTypes = String(field.type)
      .split('|')
      .map((t) => (t.startsWith('array') ? 'array' : t));
    types.set(path, fieldTypes);
    if (typeof field.desc === 'string' && field.desc.trim() && !field.truncated) labels.set(path, field.desc.trim());
    if (field.required === true) required.add(path);
  }
  return { types, labels, required, unplaced };
}

/** A schema's note on the table's fields whose wire name no example shows (see fieldTable). */
const unplacedNote = (unplaced) =>
  unplaced.length ? ` The field table also lists ${unplaced.join(', ')}, whose wire name no example shows: left out.` : '';

/** The words of a route's service segments (all but the last), without `mxoc`, `app` and numbers: `/mxoc_om_ext/x` → om, ext. */
const serviceTokens = (path) =>
  path
    .split('/')
    .slice(1, -1)
    .flatMap((segment) => segment.toLowerCase().split(/[_-]+/))
    .filter((t) => t && !/^[0-9]+$/.test(t) && !['mxoc', 'app'].includes(t));

/**
 * The module of a route no file of the spec shares a first segment with: the one module whose routes use one of
 * its service words (`pom` → production), or a word that is a module's slug (`/mxoc_crm/…` → crm).
 */
function moduleByServiceToken(path, root, tagBySlug) {
  const byToken = new Map();
  for (const [known, item] of Object.entries(root.paths ?? {})) {
    const slug = item.$ref.split('/')[1];
    for (const token of serviceTokens(known)) byToken.set(token, (byToken.get(token) ?? new Set()).add(slug));
  }
  const found = new Set();
  for (const token of serviceTokens(path)) {
    if (byToken.get(token)?.size === 1) found.add([...byToken.get(token)][0]);
    else if (tagBySlug.has(token)) found.add(token);
  }
  return found.size === 1 ? [...found][0] : undefined;
}

/**
 * The plan for one record: every file to create or change, with its content. Throws a ScaffoldError (and
 * nothing is written) when the record is malformed or its route and selector are already specified. The steps,
 * in order: read the spec, find the route and its module, read the wire values, pick the selector (refusing
 * what the spec already has), name things, draft the schemas and examples, then the route's file, the root's
 * line and coverage.yaml.
 * @param {any} record
 * @param {{ specDir: string, name?: string, module?: string }} options
 */
export function planScaffold(record, { specDir, name: wantedName, module: wantedModule }) {
  const problems = recordProblems(record);
  if (problems.length) throw new ScaffoldError(`The record cannot be scaffolded:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const spec = readSources(specDir);
  const route = locateRoute(record, spec);
  const moduleSlug = moduleOf(record, route, spec, wantedModule);
  const wire = wireValues(record);
  const { bundle, select, kind } = pickSelector(record, route, wire, spec);
  const names = namesOf(route, select, { bundle, spec, moduleSlug, wantedName });
  const source = sourceOf(record, route, select, wire);
  const files = new Map();
  const { requestComponent, dataComponent } = draftSchemas(record, wire, select, names, source);
  const yamlText = (value) => stringify(value, { ...YAML_STYLE, aliasDuplicateObjects: false });
  files.set(join(names.schemaDir, `${names.requestSchema}.yaml`), yamlText(requestComponent));
  if (dataComponent) files.set(join(names.schemaDir, `${names.dataSchema}.yaml`), yamlText(dataComponent));
  const examples = draftExamples(record, wire, names, source);
  for (const [file, content] of examples.files) files.set(file, content);
  const action = actionEntry(record, { kind, select, title: source.title }, names, dataComponent !== undefined, examples);
  const refs = draftRefs(names, dataComponent !== undefined);
  const notes = [...examples.notes];
  const routePath = route.operation
    ? joinRoute({ record, route, wire, names, action, refs, spec, bundle, files, notes })
    : addRoute({ record, route, wire, names, action, refs, spec, source, files });
  mapCoverage(record, names.action, specDir, files, notes);
  for (const file of files.keys()) {
    if (file !== routePath && !file.endsWith('openapi.yaml') && !file.endsWith('coverage.yaml') && existsSync(file))
      throw new ScaffoldError(`${file} already exists: pass another --name.`);
  }
  return { action, files, notes, route: `${record.method.toUpperCase()} ${route.path}`, routeFile: relative(specDir, routePath) };
}

/** The spec's own YAML style: sequences not indented, single quotes, lines up to 120 characters. */
const YAML_STYLE = { lineWidth: 120, indentSeq: false, singleQuote: true };

/** The root document and its modules: tag name ↔ module slug. */
function readSources(specDir) {
  const root = parse(readFileSync(join(specDir, 'openapi.yaml'), 'utf8'));
  const slugByTag = new Map(root.tags.filter((t) => t['x-qzz-module']).map((t) => [t.name, t['x-qzz-module']]));
  const tagBySlug = new Map([...slugByTag].map(([tag, slug]) => [slug, tag]));
  return { specDir, root, slugByTag, tagBySlug };
}

/** The record's route in the spec: its path, its file and operation when the spec has them. */
function locateRoute(record, { specDir, root }) {
  const method = record.method.toLowerCase();
  const path = record.path.replace(/^https?:\/\/[^/]+/, '');
  const routeFile = Object.hasOwn(root.paths ?? {}, path) ? root.paths[path].$ref : undefined;
  const existing = routeFile ? parse(readFileSync(join(specDir, routeFile), 'utf8')) : undefined;
  const operation = existing?.[method];
  if (existing && !operation)
    throw new ScaffoldError(
      `${path} is specified, but not for ${record.method.toUpperCase()}: add the operation to ${join(specDir, routeFile)} by hand.`,
    );
  return { method, path, routeFile, existing, operation };
}

/** Module: the one asked for, the route's, the record's (vendor name or slug), or that of the spec's routes like it. */
function moduleOf(record, { path, operation }, { root, slugByTag, tagBySlug }, wantedModule) {
  const firstSegment = path.split('/')[1];
  const siblings = Object.entries(root.paths ?? {})
    .filter(([p]) => p.split('/')[1] === firstSegment)
    .map(([, item]) => item.$ref.split('/')[1]);
  const moduleSlug =
    wantedModule ??
    (operation ? slugByTag.get(operation.tags[0]) : undefined) ??
    slugByTag.get(record.module) ??
    (tagBySlug.has(record.module) ? record.module : undefined) ??
    (new Set(siblings).size === 1 ? siblings[0] : undefined) ??
    moduleByServiceToken(path, root, tagBySlug);
  if (!moduleSlug || !tagBySlug.has(moduleSlug)) {
    throw new ScaffoldError(
      `The record does not say which module ${path} belongs to${record.module ? ` ("${record.module}" is not one)` : ''}: pass --module <slug>, one of ${[...tagBySlug.keys()].join(', ')}.`,
    );
  }
  return moduleSlug;
}

/** The request and the answer as the wire showed them. */
function wireValues(record) {
  const request = parseExample(record.request_example);
  const textBody = /^text\/plain/i.test(record.body_content_type ?? '');
  const requestValue = textBody && typeof request?.value === 'string' ? parseExample(request.value)?.value : request?.value;
  const response = parseExample(record.response_example);
  const responseValue = /** @type {any} */ (response?.value);
  const envelope = isObject(responseValue) && typeof responseValue.success === 'boolean' && Object.hasOwn(responseValue, 'data');
  const answer = envelope && responseValue.success === true ? responseValue : undefined;
  return { request, requestValue, textBody, response, answer };
}

/**
 * The values that pick this action on its route, and its kind. Refuses a selector the route already has, a
 * record with none on a route that has actions, and a record the spec already specifies.
 */
function pickSelector(record, { path, existing, operation, routeFile }, { requestValue }, { specDir }) {
  const routeActions = operation ? listActions({ paths: { [path]: existing } }) : [];
  // The bundle knows every action and schema name; the sources would have to be resolved to know them.
  const bundlePath = join(specDir, 'dist', 'openapi.json');
  if (!existsSync(bundlePath))
    throw new ScaffoldError(`${bundlePath} is missing: run \`pnpm bundle\` first (spec:add reads the actions and schema names from it).`);
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
  const knownKeys = new Map();
  for (const action of [...listActions(bundle), ...routeActions])
    for (const keys of selectPaths(action.select)) knownKeys.set(keys.join('.'), keys);
  let select = record.select ?? selectorOf(requestValue, [...knownKeys.values()]);
  // A save-and-audit action takes `operation: save` and `operation: audit` alike: that value does not select it.
  const kind = kindOf(record, select);
  if (kind === 'save-audit' && typeof select.operation === 'string' && !record.select) {
    const { operation: _either, ...rest } = select;
    select = rest;
  }
  if (operation) {
    const same = routeActions.find((a) => sameSelect(a.select, select));
    const file = join(specDir, routeFile);
    if (same)
      throw new ScaffoldError(
        `${record.method.toUpperCase()} ${path} already has action \`${same.name}\` selected by ${JSON.stringify(select)}: edit ${file} instead.`,
      );
    if (Object.keys(select).length === 0)
      throw new ScaffoldError(
        `${record.method.toUpperCase()} ${path} is already specified and the record carries no values that tell a new action apart (${[...knownKeys.keys()].join(', ') || 'none known'}): edit ${file} instead.`,
      );
  }
  const bySource = listActions(bundle).find((a) => a.source === record.source_page);
  if (bySource)
    throw new ScaffoldError(
      `Record ${record.source_page} is already specified as action \`${bySource.name}\` (${bySource.method.toUpperCase()} ${bySource.path}): edit that action instead.`,
    );
  return { bundle, select, kind };
}

/** Names: the client's function name, the schemas', the examples', and the folder of the schemas. */
function namesOf({ path }, select, { bundle, spec, moduleSlug, wantedName }) {
  const takenActions = new Set(listActions(bundle).map((a) => a.name));
  const lastSegment = path.split('/').filter(Boolean).at(-1) ?? 'root';
  let name =
    wantedName ??
    camel(
      [
        lastSegment,
        ...selectValues(select).filter((v) => typeof v === 'string' && !lastSegment.toLowerCase().includes(v.toLowerCase())),
      ].join(' '),
    );
  if (!/^[a-z][a-zA-Z0-9]*$/.test(name)) throw new ScaffoldError(`The action name "${name}" is not camelCase: pass --name <camelCase>.`);
  // It names files (`<Name>Request.yaml`, `<name>_response.json`): a file name holds 255 bytes.
  if (name.length > LIMITS.segment)
    throw new ScaffoldError(`The action name is ${name.length} characters long (at most ${LIMITS.segment}): pass a shorter --name.`);
  if (wantedName && takenActions.has(name)) throw new ScaffoldError(`Action name \`${name}\` is already used: pass another --name.`);
  for (let n = 2; takenActions.has(name); n++) name = `${name.replace(/[0-9]+$/, '')}${n}`;
  const schemaDir = join(spec.specDir, 'components', 'schemas', moduleSlug);
  const taken = new Set(
    Object.keys(bundle.components?.schemas ?? {}).concat(
      existsSync(schemaDir) ? readdirSync(schemaDir).map((f) => f.replace(/\.yaml$/, '')) : [],
    ),
  );
  const requestSchema = `${pascal(name)}Request`;
  const dataSchema = `${pascal(name)}Data`;
  for (const schemaName of [requestSchema, dataSchema])
    if (taken.has(schemaName)) throw new ScaffoldError(`A schema named ${schemaName} already exists: pass another --name.`);
  return {
    action: name,
    requestSchema,
    dataSchema,
    requestExample: `${name}_request`,
    responseExample: `${name}_response`,
    moduleSlug,
    lastSegment,
    schemaDir,
    exampleDir: join(spec.specDir, 'examples', moduleSlug),
  };
}

/** Where the record comes from, as the draft says it: evidence marker, source phrase, title, unlabelled fields' marks. */
function sourceOf(record, { path }, select, { request, response }) {
  const captured = record.source_kind === 'captured';
  const cut = record.excerpt_complete === false || request?.cut || response?.cut;
  const evidence = captured ? 'captured' : cut ? 'partial' : record.source_page.startsWith('ext-') ? 'third-party' : undefined;
  const from = captured ? 'captured traffic' : record.source_page.startsWith('ext-') ? 'the third-party source' : "the vendor's page";
  const title =
    record.title ?? `${record.method.toUpperCase()} ${path}${Object.keys(select).length ? ` (${selectValues(select).join(', ')})` : ''}`;
  const fieldsNote = (list) => {
    const seenIn = new Map(
      (list ?? [])
        .filter((f) => f.path_from_example && typeof f.in_every_exchange === 'boolean')
        .map((f) => [f.path_from_example, f.in_every_exchange]),
    );
    // A field no table labels carries the spec's marker (docs/spec-layout.md), and a note only where there is more
    // to say than that.
    return (fieldPath) => ({
      'x-qzz-label': 'none',
      ...(captured && seenIn.get(fieldPath) === false ? { description: 'Seen in captured traffic, not in every exchange.' } : {}),
    });
  };
  return { captured, cut, evidence, from, title, fieldsNote };
}

/** The request schema (selectors `const` and required) and, when the record shows an answer, the data schema. */
function draftSchemas(record, { requestValue, answer }, select, names, { evidence, from, title, fieldsNote }) {
  const drafted = `Drafted by \`pnpm spec:add\`; review before release.`;
  const requestTable = fieldTable(record.body_fields, { skipEnvelope: false, example: requestValue });
  const requestSchema = objectSchema(
    isObject(requestValue) ? requestValue : {},
    { ...requestTable, unlabelled: fieldsNote(record.body_fields) },
    '',
  );
  for (const keys of selectPaths(select)) constSelector(requestSchema, keys, valueAt(select, keys), from);
  const requestComponent = {
    type: 'object',
    title: names.requestSchema,
    description: `${title}: the request body, as ${from} (${record.source_page}) shows it. ${drafted}${unplacedNote(requestTable.unplaced)}`,
    ...(evidence ? { 'x-qzz-evidence': evidence } : {}),
    ...(requestSchema.required ? { required: requestSchema.required } : {}),
    properties: requestSchema.properties,
  };

  // The envelope's `data`, from the example and the field table.
  const responseTable = fieldTable(record.response_fields, { skipEnvelope: true, example: answer?.data });
  const data = answer?.data;
  if (data === undefined && responseTable.types.size === 0) return { requestComponent, dataComponent: undefined };
  const ctx = { ...responseTable, required: new Set(), unlabelled: fieldsNote(record.response_fields) };
  const node = isObject(data) || data === undefined ? objectSchema(isObject(data) ? data : {}, ctx, '') : schemaOfValue(data, ctx, '');
  const { description: _drop, type, ...shape } = node;
  const dataComponent = {
    ...(type ? { type } : {}),
    title: names.dataSchema,
    description: `${title}: the envelope's \`data\`, as ${from} (${record.source_page}) shows it. ${drafted}${unplacedNote(responseTable.unplaced)}`,
    ...(evidence ? { 'x-qzz-evidence': evidence } : {}),
    ...shape,
  };
  return { requestComponent, dataComponent };
}

/** Makes the selector value at `keys` a required `const` string in `schema`, adding the members on the way. */
function constSelector(schema, keys, value, from) {
  let node = schema;
  keys.forEach((key, i) => {
    node.properties ??= {};
    if (!Object.hasOwn(node.properties, key))
      node.properties[key] =
        i === keys.length - 1 ? { type: 'string', description: `Selects this action (${from}).` } : { type: 'object', properties: {} };
    node.required = [...new Set([...(node.required ?? []), key])];
    if (i === keys.length - 1) {
      const { $ref, ...rest } = node.properties[key];
      node.properties[key] = { ...rest, type: 'string', const: value };
    }
    node = node.properties[key];
  });
}

/**
 * The example files. A member named `$ref` or `externalValue` is left out of a JSON example, with a note: the
 * mock's Prism would follow it to the file or URL it names and answer what it read (lib/json-refs.js). The
 * schema still describes the field; a `text/plain` example is JSON text, which no tool reads as references.
 */
function draftExamples(record, { request, requestValue, textBody, response, answer }, names, { captured, cut, from, title }) {
  const description = `${captured ? 'Captured through @qzz/proxy' : `The example on ${from}`} (${record.source_page})${cut ? '; cut off there, closed after its last complete field' : ''}.`;
  const files = new Map();
  const notes = [];
  const exampleFile = (exampleName, value, wasCut, which) => {
    const { value: kept, dropped } = typeof value === 'string' ? { value, dropped: [] } : withoutReferences(value);
    const leftOut = dropped.length
      ? ` Left out: ${dropped.map((p) => `\`${p}\``).join(', ')}, which spec tools would follow as references to files or URLs.`
      : '';
    if (dropped.length)
      notes.push(
        `Record ${record.source_page}: the ${which} example leaves out ${dropped.join(', ')} (a \`$ref\` or \`externalValue\` is data here, which spec tools would follow).`,
      );
    const example = {
      summary: title,
      description: `${description}${leftOut}`,
      ...(wasCut || dropped.length ? { 'x-qzz-evidence': 'partial' } : {}),
      value: kept,
    };
    files.set(join(names.exampleDir, `${exampleName}.json`), `${JSON.stringify(example, null, 2)}\n`);
  };
  const body = requestValue === undefined ? {} : requestValue;
  exampleFile(names.requestExample, textBody ? JSON.stringify(body) : body, request?.cut, 'request');
  if (answer) exampleFile(names.responseExample, answer, response?.cut, 'response');
  return { files, notes, request: names.requestExample, response: answer ? names.responseExample : undefined };
}

/** The action's `x-qzz-actions` entry. */
function actionEntry(record, { kind, select, title }, names, hasData, examples) {
  const push = kind === 'push' ? { from: select.formid ?? select.srcEntity, to: select.push ?? select.tarEntity } : {};
  return {
    name: names.action,
    summary: title,
    source: record.source_page,
    status: record.status === '开发中' ? 'in-development' : 'stable',
    kind,
    select,
    ...(typeof push.from === 'string' && typeof push.to === 'string' ? push : {}),
    request: `#/components/schemas/${names.requestSchema}`,
    response: `#/components/schemas/${hasData ? names.dataSchema : 'UncapturedData'}`,
    examples: { request: examples.request, ...(examples.response ? { response: examples.response } : {}) },
  };
}

/** The `$ref`s a route file holds to the drafted files (relative to `paths/<module>/`). */
function draftRefs(names, hasData) {
  const schema = (schemaName) => `../../components/schemas/${names.moduleSlug}/${schemaName}.yaml`;
  return {
    schema,
    data: hasData ? schema(names.dataSchema) : '../../components/schemas/common/UncapturedData.yaml',
    example: (exampleName) => ({ $ref: `../../examples/${names.moduleSlug}/${exampleName}.json` }),
  };
}

/**
 * A new action on a specified route: its entry, its request schema as a branch of the body (`oneOf` while no
 * existing action's schema accepts its example, else `anyOf`, with a note), its data schema as a branch of the
 * answer's `data`, its examples. Returns the route file's path.
 */
function joinRoute({ record, route, wire, names, action, refs, spec, bundle, files, notes }) {
  const { path, method, routeFile } = route;
  const routePath = join(spec.specDir, routeFile);
  const file = parseDocument(readFileSync(routePath, 'utf8'));
  const op = /** @type {any} */ (file.get(method));
  op.get('x-qzz-actions').add(file.createNode(action));
  if (record.title) op.set('summary', `${op.get('summary')}、${record.title}`);
  const media = op.getIn(['requestBody', 'content']).items[0].value;
  const holder = media.get('schema').has('contentSchema') ? media.get('schema') : media;
  const bodyKey = holder === media ? 'schema' : 'contentSchema';
  const body = holder.get(bodyKey);
  const validator = schemaValidator(bundle);
  const exclusive = !listActions(bundle).some(
    (a) =>
      a.path === path &&
      a.method === method &&
      a.request.startsWith(COMPONENT_SCHEMAS) &&
      validator.compile(a.request)(wire.requestValue ?? {}),
  );
  const branch = file.createNode({ $ref: refs.schema(names.requestSchema) });
  const composite = isMap(body) && (body.get('oneOf') ?? body.get('anyOf'));
  if (isSeq(composite)) {
    composite.add(branch);
    if (!exclusive && body.has('oneOf')) {
      body.set('anyOf', composite);
      body.delete('oneOf');
      notes.push(
        `The request body of ${path} is now \`anyOf\`: an existing action's schema accepts this one's example too, so the branches cannot exclude each other.`,
      );
    }
  } else {
    holder.set(bodyKey, file.createNode({ [exclusive ? 'oneOf' : 'anyOf']: [body, branch] }));
    if (!exclusive) notes.push(`The request body of ${path} is \`anyOf\`: the existing action's schema accepts this one's example too.`);
  }
  media.get('examples').set(names.requestExample, file.createNode(refs.example(names.requestExample)));
  const ok = op.getIn(['responses', '200', 'content']).items[0].value;
  const successData = ok.getIn(['schema', 'oneOf', 0, 'allOf', 1, 'properties']);
  const currentData = successData.get('data');
  const dataBranches = isMap(currentData) && currentData.get('anyOf');
  if (isSeq(dataBranches)) dataBranches.add(file.createNode({ $ref: refs.data }));
  else successData.set('data', file.createNode({ anyOf: [currentData, { $ref: refs.data }] }));
  if (action.examples.response) {
    if (!ok.has('examples')) ok.set('examples', file.createNode({}));
    ok.get('examples').set(names.responseExample, file.createNode(refs.example(names.responseExample)));
  }
  files.set(routePath, file.toString(YAML_STYLE));
  return routePath;
}

/** A new route: its path file with one operation, and its line in the root's `paths`. Returns the path file's path. */
function addRoute({ record, route, wire, names, action, refs, spec, source, files }) {
  const fileName = `${names.lastSegment.replace(/[^A-Za-z0-9_.-]/g, '_')}.yaml`;
  const routePath = join(spec.specDir, 'paths', names.moduleSlug, fileName);
  if (existsSync(routePath))
    throw new ScaffoldError(`${routePath} already exists for another route: rename it or pass the route's file by hand.`);
  const operation = newOperation({ record, wire, names, action, refs, spec, source });
  files.set(routePath, stringify({ [route.method]: operation }, { ...YAML_STYLE, aliasDuplicateObjects: false }));
  const rootPath = join(spec.specDir, 'openapi.yaml');
  const rootText = readFileSync(rootPath, 'utf8');
  const componentsAt = rootText.search(/^components:/m);
  if (componentsAt < 0) throw new ScaffoldError(`${rootPath} has no \`components:\` after \`paths:\`; add the route by hand.`);
  // The route as a YAML key, quoted where it must be, indented under `paths:`.
  const line = stringify({ [route.path]: { $ref: `paths/${names.moduleSlug}/${fileName}` } }, YAML_STYLE).replace(/^(?=.)/gm, '  ');
  files.set(rootPath, `${rootText.slice(0, componentsAt)}${line}${rootText.slice(componentsAt)}`);
  return routePath;
}

/** The operation of a new route: the action's body and examples, the vendor's envelope, the gateway's errors. */
function newOperation({ record, wire, names, action, refs, spec, source: { title, from } }) {
  const contentType = wire.textBody
    ? 'text/plain'
    : (record.body_content_type ?? 'application/json').split(';')[0].trim() || 'application/json';
  const requestMedia = wire.textBody
    ? {
        schema: {
          type: 'string',
          contentMediaType: 'application/json',
          contentSchema: { $ref: refs.schema(names.requestSchema) },
          description: 'JSON text in a `text/plain` body, as the record shows it.',
        },
      }
    : { schema: { $ref: refs.schema(names.requestSchema) } };
  return {
    tags: [spec.tagBySlug.get(names.moduleSlug)],
    operationId: `${moduleKey(names.moduleSlug)}_${names.action}`,
    summary: title,
    description: `${title}, drafted by \`pnpm spec:add\` from ${from} (${record.source_page}); review before release.`,
    'x-qzz-actions': [action],
    requestBody: {
      required: true,
      description: wire.textBody ? 'Sent as JSON text in a `text/plain` body.' : 'A JSON body.',
      content: { [contentType]: { ...requestMedia, examples: { [names.requestExample]: refs.example(names.requestExample) } } },
    },
    responses: {
      200: {
        description:
          "The vendor's envelope: `success: true` with the action's `data`, or a business failure with `success: false` (also HTTP 200).",
        content: {
          'application/json': {
            schema: {
              oneOf: [
                {
                  allOf: [
                    { $ref: '../../components/schemas/common/SuccessEnvelope.yaml' },
                    { type: 'object', properties: { data: { $ref: refs.data } } },
                  ],
                },
                { $ref: '../../components/schemas/common/BusinessFailure.yaml' },
              ],
            },
            ...(action.examples.response ? { examples: { [names.responseExample]: refs.example(names.responseExample) } } : {}),
          },
        },
      },
      401: { $ref: '../../components/responses/Unauthorized.yaml' },
      404: { $ref: '../../components/responses/NoRoute.yaml' },
      429: { $ref: '../../components/responses/RateLimited.yaml' },
      519: { $ref: '../../components/responses/GatewayRejected.yaml' },
    },
  };
}

/** coverage.yaml: the vendor's endpoint of the same name as the record's title, when it is still unspecified. */
function mapCoverage(record, actionName, specDir, files, notes) {
  const coveragePath = join(specDir, 'coverage.yaml');
  if (!record.title || !existsSync(coveragePath)) return;
  const coverage = parseDocument(readFileSync(coveragePath, 'utf8'));
  const entries = /** @type {any} */ (coverage.get('modules')).items.flatMap((m) => m.value.get('endpoints')?.items ?? []);
  const entry = entries.find((e) => e.get('name') === record.title || [e.get('aka')].flat().includes(record.title));
  if (entry && entry.get('spec') === 'unspecified') {
    entry.set('spec', coverage.createNode({ action: actionName, source: record.source_page }));
    files.set(coveragePath, coverage.toString(YAML_STYLE));
  } else if (entry) notes.push(`coverage.yaml already maps "${record.title}"; left as it is.`);
  else notes.push(`No endpoint named "${record.title}" in coverage.yaml; nothing mapped.`);
}

/**
 * Writes a plan: every file to a temporary name first, then all renamed into place. Should a step fail, the
 * files already in place are put back as they were and the temporary ones removed: nothing half-written stays.
 */
export function writePlan(plan) {
  /** @type {{ file: string, content: string, tmp: string, before?: Buffer, placed: boolean }[]} */
  const steps = [...plan.files].map(([file, content]) => ({ file, content, tmp: `${file}.spec-add-${process.pid}.tmp`, placed: false }));
  /** Folders this write made (the first of each chain mkdirSync created): a failed write takes them away again. */
  const made = [];
  try {
    for (const step of steps) {
      if (existsSync(step.file) && statSync(step.file).isFile()) step.before = readFileSync(step.file);
      const folder = mkdirSync(dirname(step.file), { recursive: true });
      if (folder) made.push(folder);
      writeFileSync(step.tmp, step.content);
    }
    for (const step of steps) {
      renameSync(step.tmp, step.file);
      step.placed = true;
    }
  } catch (error) {
    for (const step of steps) putBack(step);
    for (const folder of made.reverse()) rmSync(folder, { recursive: true, force: true });
    throw new ScaffoldError(`Writing the draft failed (${error.code ?? error.message}); every file is as it was.`);
  }
}

/** Undoes one step of writePlan; a file that could never be written (a name too long) has nothing to undo. */
function putBack(step) {
  try {
    if (step.placed) step.before === undefined ? rmSync(step.file, { force: true }) : writeFileSync(step.file, step.before);
    else rmSync(step.tmp, { force: true });
  } catch {
    // Nothing of this step reached the disk.
  }
}
