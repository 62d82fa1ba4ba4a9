// Checking one exchange against the bundle: which action it is (picked the way the mock picks), and every
// place where the request or the answer differs from that action's schemas and documented example. A
// discrepancy repeated across array items is one finding with a count: its pattern folds array indexes
// (`/data/material_entity/*/qty`), so a check's output grows with the schema, never with the number of items,
// and its memory with the body, never with the number of discrepancies.
import { COMPONENT_SCHEMAS, candidateActions, isObject, listActions, matchesSelect, resolvePointer, selectPaths } from '@qzz/spec/actions';
import { schemaValidator } from '@qzz/spec/validate';
import { escapePointer, unescapePointer } from './json.js';

/**
 * @typedef {{ pointer: string, kind: string, spec: string, seen: string }} Finding
 *   One discrepancy: where (a JSON pointer into the body), what kind, what the spec says, what was seen
 *   (types and shapes; a value only where it is a selector-like token, never personal data or a secret).
 * @typedef {Finding & { pattern: string, count: number }} FoldedFinding
 *   A finding for every occurrence of one kind at one pattern (the pointer with array indexes as `*`): the
 *   first occurrence's pointer, spec and seen, and how many times it occurred in the body.
 * @typedef {{ name: string, select: object, request: string, response: string, examples: { request: string, response?: string }, path: string, method: string }} Action
 * @typedef {{ method: string, path: string, operation: any, actions: Action[], selectorKeys: string[][], textBody: boolean }} Route
 */

/** A value's JSON type, as JSON Schema names it. */
export function jsonType(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** What a value looks like without saying what it is: its type, and for a string its length and character classes. */
export function shapeOf(value) {
  if (typeof value !== 'string') return jsonType(value);
  if (value === '') return 'empty string';
  const classes = [
    /[0-9]/.test(value) && 'digits',
    /[A-Za-z]/.test(value) && 'letters',
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is all of ASCII, so what is outside it is not.
    /[^\x00-\x7f]/.test(value) && 'non-ASCII',
    /[^0-9A-Za-z\x80-\uffff]/.test(value) && 'symbols',
  ].filter(Boolean);
  return `string of ${[...value].length} characters (${classes.join(', ')})`;
}

// A value the report may print: a short code such as a selector value or form id (`push`, `mxoc_pom_scrap`).
// Anything longer, with digits runs or non-ASCII text, may be personal data or a secret: its shape is printed.
export const printable = (value) =>
  typeof value === 'boolean' || value === null || (typeof value === 'string' && /^[A-Za-z][A-Za-z_.-]{0,40}$/.test(value));

/** The spec's routes by `METHOD path`, and the selector fields the spec knows (for bodies on unknown routes). */
function indexSpec(doc) {
  /** @type {Map<string, Route>} */
  const routes = new Map();
  for (const action of listActions(doc)) {
    // Keyed by the path traffic carries: an operation with a server of its own is reached under its prefix.
    const key = `${action.method.toUpperCase()} ${action.wirePath}`;
    let route = routes.get(key);
    if (!route) {
      const operation = doc.paths[action.path][action.method];
      const textBody = Object.values(operation.requestBody?.content ?? {}).some((m) => m.schema?.contentMediaType === 'application/json');
      route = { method: action.method.toUpperCase(), path: action.wirePath, operation, actions: [], selectorKeys: [], textBody };
      routes.set(key, route);
    }
    route.actions.push(action);
  }
  const all = new Map();
  for (const route of routes.values()) {
    const own = new Map();
    for (const action of route.actions) for (const keys of selectPaths(action.select)) own.set(keys.join('/'), keys);
    route.selectorKeys = [...own.values()];
    for (const [k, v] of own) all.set(k, v);
  }
  return { routes, selectorKeys: [...all.values()] };
}

/** How many patterns one direction of one exchange lists; past them, discrepancies are only counted. */
export const MAX_FINDINGS = 500;
/** How many occurrences one direction of one exchange counts before its walks stop: a check's time is bounded too. */
export const MAX_OCCURRENCES = 5_000_000;

/**
 * Where a walk stands in a body: its pattern (array indexes as `*`), and the way back to the root from which
 * the pointer is spelled out, only for the first occurrence of a pattern.
 * @typedef {{ parent: Place | null, segment: string, pattern: string }} Place
 */
/** @type {Place} */
const ROOT = { parent: null, segment: '', pattern: '' };

/** @param {Place} place */
function pointerOf(place) {
  const segments = [];
  for (let at = place; at.parent; at = at.parent) segments.push(at.segment);
  return segments.length ? `/${segments.reverse().join('/')}` : '';
}

/**
 * One direction's findings, folded: one per kind and pattern, with its count. Holds at most `limit` of them
 * (memory stays flat however many discrepancies a body has); past that, occurrences are counted by kind and
 * listed as one `more-discrepancies` finding. Patterns are made once per parent pattern and member, so
 * counting a repeat allocates nothing. After `budget` occurrences, `full` tells the walks to stop.
 */
export function foldFindings(limit = MAX_FINDINGS, budget = MAX_OCCURRENCES) {
  /** @type {Map<string, Map<string, FoldedFinding>>} */
  const byKind = new Map();
  /** @type {Map<string, number>} */
  const unlisted = new Map();
  /** @type {Map<string, Map<string, string>>} */
  const children = new Map();
  let listed = 0;
  let counted = 0;
  /** The pattern of `key` below `pattern`, the same string each time. */
  const childPattern = (pattern, key) =>
    entry(
      entry(children, pattern, () => new Map()),
      key,
      () => `${pattern}/${key}`,
    );
  return {
    /** @param {Place} place @param {string | number} key @param {boolean} [index] @returns {Place} */
    step: (place, key, index = false) => ({
      parent: place,
      segment: index ? String(key) : escapePointer(String(key)),
      pattern: childPattern(place.pattern, index ? '*' : escapePointer(String(key))),
    }),
    /**
     * Counts one occurrence of `kind` at `place`; `describe(pointer)` makes the finding for a pattern's first.
     * @param {string} kind @param {Place | { pointer: string, pattern: string }} place @param {(pointer: string) => Finding} describe
     */
    add(kind, place, describe) {
      counted += 1;
      const byPattern = entry(byKind, kind, () => new Map());
      const known = byPattern.get(place.pattern);
      if (known) known.count += 1;
      else if (listed < limit) {
        listed += 1;
        const pointer = 'pointer' in place ? place.pointer : pointerOf(place);
        const { spec, seen } = describe(pointer);
        byPattern.set(place.pattern, { pointer, pattern: place.pattern, kind, spec, seen, count: 1 });
      } else unlisted.set(kind, (unlisted.get(kind) ?? 0) + 1);
    },
    /** True once `budget` occurrences are counted: the walks stop there. */
    get full() {
      return counted >= budget;
    },
    /** @returns {FoldedFinding[]} */
    list() {
      const lines = [...byKind.values()].flatMap((byPattern) => [...byPattern.values()]);
      if (unlisted.size === 0 && counted < budget) return lines;
      const count = [...unlisted.values()].reduce((a, b) => a + b, 0);
      const kinds = [...unlisted].map(([kind, n]) => `${kind} ${n}`).join(', ');
      const stopped = counted >= budget ? `; counting stopped after ${budget} occurrences` : '';
      lines.push({
        pointer: '',
        pattern: '',
        kind: 'more-discrepancies',
        spec: `at most ${limit} patterns listed and ${budget} occurrences counted per exchange and direction`,
        seen: `${count} more at patterns not listed${kinds ? ` (${kinds})` : ''}${stopped}`,
        count,
      });
      return lines;
    },
  };
}

/** The value `map` holds at `key`, made (and kept) by `make` the first time. */
function entry(map, key, make) {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/**
 * A finding about a body as a whole, or about the exchange (its pattern is its pointer).
 * @param {Finding} finding
 * @returns {FoldedFinding}
 */
export const wholeBody = ({ pointer, kind, spec, seen }) => ({ pointer, pattern: pointer, kind, spec, seen, count: 1 });

/** The pattern of a pointer into `root`: each segment that indexes an array becomes `*`. */
function patternAt(root, pointer) {
  let node = root;
  let pattern = '';
  for (const segment of pointer.split('/').slice(1)) {
    const inArray = Array.isArray(node);
    pattern += `/${inArray ? '*' : segment}`;
    node = inArray || isObject(node) ? node[unescapePointer(segment)] : undefined;
  }
  return pattern;
}

/**
 * What one bundle gives every check: schemas followed through `$ref`, compiled validators, memoised pieces.
 * @param {any} doc
 */
function checkerTools(doc) {
  const validator = schemaValidator(doc);
  const targets = new Map();
  const deref = (schema) => {
    let node = schema;
    for (let i = 0; node?.$ref && i < 32; i++) {
      const ref = node.$ref;
      if (!targets.has(ref)) targets.set(ref, resolvePointer(doc, ref));
      node = targets.get(ref);
    }
    return node;
  };
  // Validators by schema object or pointer. A schema is compiled with its `$ref`s written out (inlineRefs):
  // ajv joins a referenced schema's errors to the ones before them by copying, which made a check quadratic in
  // the number of errors (60,000 of them took 6 s; written out, 60 ms).
  const compiledBy = new WeakMap();
  const compiledAt = new Map();
  const inlined = new Map();
  const compile = (schema) => {
    const cache = typeof schema === 'string' ? compiledAt : compiledBy;
    if (!cache.has(schema)) {
      const source = typeof schema === 'string' ? { $ref: schema } : schema;
      cache.set(schema, validator.compile(inlineRefs(doc, source, inlined)));
    }
    return cache.get(schema);
  };
  const memo = new Map();
  const once = (key, make) => {
    if (!memo.has(key)) memo.set(key, make());
    return memo.get(key);
  };
  /** An object schema's parts (itself and its allOf), their properties united, and whether they list every field. */
  const shapes = new WeakMap();
  const objectShape = (node) => {
    if (!shapes.has(node)) {
      const parts = [node, ...(node.allOf ?? []).map(deref)];
      const properties = Object.assign({}, ...parts.map((p) => p?.properties ?? {}));
      const listsFields = parts.some((p) => p?.properties) && !parts.some((p) => p?.patternProperties || isObject(p?.additionalProperties));
      shapes.set(node, { parts, properties, listsFields });
    }
    return shapes.get(node);
  };
  // The members every item of an example's array has: what each item of the answer should have.
  const commonItems = new WeakMap();
  const commonItem = (example) => {
    if (!commonItems.has(example)) {
      const objects = example.filter(isObject);
      const keys = objects.length ? Object.keys(objects[0]).filter((k) => objects.every((e) => k in e)) : [];
      commonItems.set(example, objects.length ? Object.fromEntries(keys.map((k) => [k, objects[0][k]])) : undefined);
    }
    return commonItems.get(example);
  };
  return { doc, deref, compile, once, objectShape, commonItem };
}
/** @typedef {ReturnType<typeof checkerTools>} Tools */

// Keywords whose values are data, not schemas: a `$ref` inside them is a value to compare, never followed.
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'example', 'examples']);

/**
 * `schema` with every local `$ref` to a component replaced by the component itself (written out once per
 * component and shared), except a reference back into a component being written out, which stays a `$ref`.
 * @param {any} doc
 * @param {any} node
 * @param {Map<string, any>} done components already written out
 * @param {Set<string>} [open] components being written out (a cycle stops at them)
 */
function inlineRefs(doc, node, done, open = new Set()) {
  if (Array.isArray(node)) return node.map((child) => inlineRefs(doc, child, done, open));
  if (!isObject(node)) return node;
  const { $ref, ...rest } = node;
  const out = {};
  for (const [key, value] of Object.entries(rest)) out[key] = DATA_KEYWORDS.has(key) ? value : inlineRefs(doc, value, done, open);
  // A reference elsewhere, back into a component being written out, or to nothing stays as it is (ajv follows it).
  if (typeof $ref !== 'string' || !$ref.startsWith(COMPONENT_SCHEMAS) || open.has($ref) || resolvePointer(doc, $ref) === undefined) {
    return $ref === undefined ? out : { $ref, ...out };
  }
  if (!done.has($ref)) {
    open.add($ref);
    const target = inlineRefs(doc, resolvePointer(doc, $ref), done, open);
    open.delete($ref);
    done.set($ref, target);
  }
  // Keywords beside a `$ref` apply together with it (JSON Schema 2020-12), as they do under allOf.
  return Object.keys(out).length ? { ...out, allOf: [done.get($ref), ...(out.allOf ?? [])] } : done.get($ref);
}

/**
 * Which action a request body asks for. `unknown` when the route's every action names selector values and the
 * body carries none of them: an action the spec lacks.
 * @param {Tools} tools
 * @param {Route} route
 * @returns {{ action?: Action, unknown: boolean }}
 */
function pickAction(tools, route, body) {
  const ranked = candidateActions(route.actions, body);
  // A body that carries an action's selector values asks for that action: drift is reported against it even
  // where a select-all sibling (whose open schema takes anything) would accept the body.
  if (Object.keys(ranked[0]?.select ?? {}).length > 0 && matchesSelect(ranked[0].select, body))
    return { action: ranked[0], unknown: false };
  const accepting = ranked.find((action) => tools.compile(action.request)(body));
  if (accepting) return { action: accepting, unknown: false };
  // `{}` selects any body, so nothing selected means every action names values this body does not carry.
  if (!route.actions.some((action) => matchesSelect(action.select, body))) return { action: undefined, unknown: true };
  return { action: ranked[0], unknown: false };
}

/**
 * What the walks after ajv share: the findings, the pointers ajv already reported by kind (the walks do not
 * count them again), and the members already reported undocumented per object (a walk may meet an object
 * twice, through a oneOf and through an allOf part).
 * @typedef {{ findings: ReturnType<typeof foldFindings>, reported: Map<string, Set<string>>, undocumented: WeakMap<object, Set<string>> }} Walk
 */

/** True when ajv reported `kind` at `place` (the pointer is spelled out only when ajv reported that kind at all). */
const reportedByAjv = (walk, kind, place) => walk.reported.get(kind)?.has(pointerOf(place)) ?? false;

/**
 * ajv's errors as findings, one per pointer, added to a new Walk.
 * @param {Tools} tools
 * @returns {Walk}
 */
function schemaFindings(tools, schema, value) {
  /** @type {Walk} */
  const walk = { findings: foldFindings(), reported: new Map(), undocumented: new WeakMap() };
  const validate = tools.compile(schema);
  if (validate(value)) return walk;
  const byPointer = new Map();
  for (const error of validate.errors ?? []) {
    let pointer = error.instancePath;
    if (error.keyword === 'required') pointer += `/${escapePointer(String(error.params.missingProperty))}`;
    if (error.keyword === 'additionalProperties') pointer += `/${escapePointer(String(error.params.additionalProperty))}`;
    if (!byPointer.has(pointer)) byPointer.set(pointer, []);
    byPointer.get(pointer).push(error);
  }
  for (const [pointer, errors] of byPointer) {
    const finding = describe(pointer, errors, value);
    walk.findings.add(finding.kind, { pointer, pattern: patternAt(value, pointer) }, () => finding);
    entry(walk.reported, finding.kind, () => new Set()).add(pointer);
  }
  return walk;
}

/** One pointer's ajv errors as one finding: the most telling error (type, then required, then const/enum) names the kind. */
function describe(pointer, errors, root) {
  const seenValue = pointer ? resolvePointer(root, `#${pointer}`) : root;
  const first =
    errors.find((e) => e.keyword === 'type') ??
    errors.find((e) => e.keyword === 'required') ??
    errors.find((e) => e.keyword === 'const' || e.keyword === 'enum') ??
    errors[0];
  if (first.keyword === 'required') return { pointer, kind: 'missing-field', spec: 'required', seen: 'absent' };
  if (first.keyword === 'additionalProperties')
    return { pointer, kind: 'undocumented-field', spec: 'no other fields', seen: shapeOf(seenValue) };
  if (first.keyword === 'type')
    return { pointer, kind: 'type', spec: `type ${[first.params.type].flat().join(' or ')}`, seen: jsonType(seenValue) };
  const spec = errors
    .map((e) =>
      e.keyword === 'const' && printable(e.params.allowedValue)
        ? `equal to ${JSON.stringify(e.params.allowedValue)}`
        : e.keyword === 'pattern'
          ? `matching ${e.params.pattern}`
          : e.message,
    )
    .filter((m, i, all) => all.indexOf(m) === i);
  // A value is printed only where the spec fixes one (a selector's `const`): there it is a code, not data.
  const fixed = errors.some((e) => e.keyword === 'const' || e.keyword === 'enum');
  return {
    pointer,
    kind: 'constraint',
    spec: spec.join('; '),
    seen: fixed && printable(seenValue) ? JSON.stringify(seenValue) : shapeOf(seenValue),
  };
}

/**
 * Adds a field its schema does not list, unless ajv or another pass of the walk has already reported it.
 * @param {Walk} walk
 * @param {Place} place
 */
function addUndocumented(walk, holder, key, place, value) {
  if (reportedByAjv(walk, 'undocumented-field', place)) return;
  const keys = entry(walk.undocumented, holder, () => new Set());
  if (keys.has(key)) return;
  keys.add(key);
  walk.findings.add('undocumented-field', place, (pointer) => ({
    pointer,
    kind: 'undocumented-field',
    spec: 'not in the spec',
    seen: shapeOf(value),
  }));
}

/**
 * Fields the value carries that its schema does not list (schemas stay open, so ajv cannot see them).
 * @param {Tools} tools
 * @param {Walk} walk
 * @param {Place} place
 */
function undocumentedFields(tools, schema, value, walk, place = ROOT) {
  if (walk.findings.full) return;
  const node = tools.deref(schema);
  if (!node || typeof node !== 'object') return;
  if (node.contentSchema && typeof value === 'string') return;
  const branches = node.oneOf ?? node.anyOf;
  if (branches) {
    const fitting = branches.find((b) => tools.compile(b)(value)) ?? branches.find((b) => tools.deref(b)?.type === jsonType(value));
    if (fitting) undocumentedFields(tools, fitting, value, walk, place);
  }
  if (Array.isArray(value)) {
    if (node.items && typeof node.items === 'object') {
      for (let i = 0; i < value.length; i++) undocumentedFields(tools, node.items, value[i], walk, walk.findings.step(place, i, true));
    }
    return;
  }
  if (!isObject(value)) return;
  const { parts, properties, listsFields } = tools.objectShape(node);
  for (const [key, child] of Object.entries(value)) {
    const here = walk.findings.step(place, key);
    if (Object.hasOwn(properties, key)) undocumentedFields(tools, properties[key], child, walk, here);
    else if (listsFields && !branches) addUndocumented(walk, value, key, here, child);
  }
  for (const part of parts.slice(1)) {
    if (part?.oneOf || part?.anyOf) undocumentedFields(tools, { oneOf: part.oneOf ?? part.anyOf }, value, walk, place);
  }
}

const missingField = (pointer) => ({ pointer, kind: 'missing-field', spec: "in the vendor's example", seen: 'absent' });

/**
 * Fields the vendor's documented example carries and the answer lacks.
 * @param {Tools} tools
 * @param {Walk} walk
 * @param {Place} place
 */
function missingFromExample(tools, example, value, walk, place = ROOT) {
  if (walk.findings.full) return;
  if (Array.isArray(example) && Array.isArray(value)) {
    const common = tools.commonItem(example);
    if (common)
      for (let i = 0; i < value.length; i++) missingFromExample(tools, common, value[i], walk, walk.findings.step(place, i, true));
    return;
  }
  if (!isObject(example) || !isObject(value)) return;
  for (const [key, child] of Object.entries(example)) {
    const here = walk.findings.step(place, key);
    if (Object.hasOwn(value, key)) missingFromExample(tools, child, value[key], walk, here);
    else if (!reportedByAjv(walk, 'missing-field', here)) walk.findings.add('missing-field', here, missingField);
  }
}

/**
 * Request findings for a parsed body (undefined: no body).
 * @param {Tools} tools
 * @param {Route} route
 * @param {Action | undefined} action
 * @returns {FoldedFinding[]}
 */
function checkRequest(tools, route, action, body, parseError) {
  const media = Object.values(route.operation.requestBody?.content ?? {})[0];
  if (!media) return [];
  if (parseError)
    return [
      wholeBody({
        pointer: '',
        kind: 'not-json',
        spec: route.textBody ? 'JSON text in a text/plain body' : 'a JSON body',
        seen: parseError,
      }),
    ];
  if (body === undefined)
    return route.operation.requestBody.required ? [wholeBody({ pointer: '', kind: 'missing-body', spec: 'a body', seen: 'no body' })] : [];
  if (!action) return [];
  const requestSchema = tools.once(`request ${action.name}`, () => ({ $ref: action.request }));
  const walk = schemaFindings(tools, requestSchema, body);
  undocumentedFields(tools, requestSchema, body, walk);
  return walk.findings.list();
}

/**
 * The schema an answer with `status` must fit, for `action`: the 200 envelope narrowed to the action's data.
 * @param {Tools} tools
 * @param {Route} route
 * @param {Action | undefined} action
 * @returns {{ undocumented?: boolean, schema?: any, success?: boolean }}
 */
function answerSchema(tools, route, action, status, body) {
  const failure = isObject(body) && body.success === false;
  return tools.once(`answer ${route.method} ${route.path} ${action?.name} ${status} ${failure}`, () => {
    const response = tools.deref(route.operation.responses?.[String(status)]);
    if (!response) return { undocumented: true };
    const media = response.content?.['application/json'] ?? Object.values(response.content ?? {})[0];
    if (!media?.schema) return { schema: undefined };
    const schema = media.schema;
    const success = schema.oneOf?.find((b) => b.allOf);
    if (!success || !action) return { schema };
    if (failure) return { schema: { oneOf: schema.oneOf.filter((b) => b !== success) } };
    const [envelope, overlay] = success.allOf;
    return {
      schema: { allOf: [envelope, { ...overlay, properties: { ...overlay.properties, data: { $ref: action.response } } }] },
      success: true,
    };
  });
}

/**
 * Response findings for a status and a parsed body (undefined: no body or not JSON).
 * @param {Tools} tools
 * @param {Route} route
 * @param {Action | undefined} action
 * @param {number} status
 * @param {string | undefined} contentType
 * @returns {FoldedFinding[]}
 */
function checkResponse(tools, route, action, status, body, contentType) {
  const { undocumented, schema, success } = answerSchema(tools, route, action, status, body);
  if (undocumented) {
    const documented = Object.keys(route.operation.responses ?? {}).join(', ');
    return [wholeBody({ pointer: '', kind: 'undocumented-status', spec: `statuses ${documented}`, seen: `status ${status}` })];
  }
  if (!schema) return [];
  if (body === undefined) {
    return [
      wholeBody({
        pointer: '',
        kind: 'not-json',
        spec: 'a JSON body',
        seen: contentType ? `a ${contentType.split(';')[0]} body` : 'no JSON body',
      }),
    ];
  }
  const walk = schemaFindings(tools, schema, body);
  undocumentedFields(tools, schema, body, walk);
  const exampleName = action?.examples?.response;
  if (success && exampleName) missingFromExample(tools, tools.doc.components.examples[exampleName]?.value, body, walk);
  return walk.findings.list();
}

/**
 * A checker bound to one bundle: the spec's routes, the selector fields it knows, and the three steps of a
 * check (pick the action, check the request, check the answer).
 * @param {any} doc the bundle (spec/dist/openapi.json)
 */
export function createChecker(doc) {
  const tools = checkerTools(doc);
  const { routes, selectorKeys } = indexSpec(doc);
  return {
    routes,
    selectorKeys,
    /** @param {Route} route */
    pickAction: (route, body) => pickAction(tools, route, body),
    /** @param {Route} route @param {Action | undefined} action @param {string} [parseError] */
    checkRequest: (route, action, body, parseError) => checkRequest(tools, route, action, body, parseError),
    /** @param {Route} route @param {Action | undefined} action @param {number} status @param {string} [contentType] */
    checkResponse: (route, action, status, body, contentType) => checkResponse(tools, route, action, status, body, contentType),
  };
}
