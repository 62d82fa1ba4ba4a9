// Checking one exchange against the bundle: which action it is (picked the way the mock picks), and every
// place where the request or the answer differs from that action's schemas and documented example.
import { candidateActions, isObject, listActions, matchesSelect, resolvePointer } from '@qzz/spec/actions';
import { schemaValidator } from '@qzz/spec/validate';

/**
 * @typedef {{ pointer: string, kind: string, spec: string, seen: string }} Finding
 *   One discrepancy: where (a JSON pointer into the body), what kind, what the spec says, what was seen
 *   (types and shapes; a value only where it is a selector-like token, never personal data or a secret).
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

/** The leaf paths of a select object (`{params: {operate}}` → [['params', 'operate']]). */
function selectKeys(select, prefix = []) {
  return Object.entries(select ?? {}).flatMap(([k, v]) => (isObject(v) ? selectKeys(v, [...prefix, k]) : [[...prefix, k]]));
}

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
    for (const action of route.actions) for (const keys of selectKeys(action.select)) own.set(keys.join('/'), keys);
    route.selectorKeys = [...own.values()];
    for (const [k, v] of own) all.set(k, v);
  }
  return { routes, selectorKeys: [...all.values()] };
}

/**
 * A checker bound to one bundle.
 * @param {any} doc the bundle (spec/dist/openapi.json)
 */
export function createChecker(doc) {
  const validator = schemaValidator(doc);
  const { routes, selectorKeys } = indexSpec(doc);
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

  // Compiled validators by schema object or pointer: the schemas below are built once per action and status.
  const compiledBy = new WeakMap();
  const compile = (schema) => {
    if (typeof schema === 'string') return validator.compile(schema);
    if (!compiledBy.has(schema)) compiledBy.set(schema, validator.compile(schema));
    return compiledBy.get(schema);
  };
  const memo = new Map();
  const once = (key, make) => {
    if (!memo.has(key)) memo.set(key, make());
    return memo.get(key);
  };

  const accepts = (action, body) => compile(action.request)(body);

  /**
   * Which action a request body asks for. `unknown` when the route's every action names selector values and
   * the body carries none of them: an action the spec lacks.
   * @returns {{ action?: Action, unknown: boolean }}
   */
  function pickAction(route, body) {
    const ranked = candidateActions(route.actions, body);
    // A body that carries an action's selector values asks for that action: drift is reported against it even
    // where a select-all sibling (whose open schema takes anything) would accept the body.
    if (Object.keys(ranked[0]?.select ?? {}).length > 0 && matchesSelect(ranked[0].select, body))
      return { action: ranked[0], unknown: false };
    const accepting = ranked.find((action) => accepts(action, body));
    if (accepting) return { action: accepting, unknown: false };
    // `{}` selects any body, so nothing selected means every action names values this body does not carry.
    if (!route.actions.some((action) => matchesSelect(action.select, body))) return { action: undefined, unknown: true };
    return { action: ranked[0], unknown: false };
  }

  /** ajv's errors, one finding per pointer. */
  function schemaFindings(schema, value) {
    const validate = compile(schema);
    if (validate(value)) return [];
    const byPointer = new Map();
    for (const error of validate.errors) {
      let pointer = error.instancePath;
      if (error.keyword === 'required') pointer += `/${escapePointer(error.params.missingProperty)}`;
      if (error.keyword === 'additionalProperties') pointer += `/${escapePointer(error.params.additionalProperty)}`;
      if (!byPointer.has(pointer)) byPointer.set(pointer, []);
      byPointer.get(pointer).push(error);
    }
    return [...byPointer].map(([pointer, errors]) => describe(pointer, errors, value));
  }

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

  /** An object schema's parts (itself and its allOf), their properties united, and whether they list every field. */
  const shapes = new WeakMap();
  function objectShape(node) {
    if (!shapes.has(node)) {
      const parts = [node, ...(node.allOf ?? []).map(deref)];
      const properties = Object.assign({}, ...parts.map((p) => p?.properties ?? {}));
      const listsFields = parts.some((p) => p?.properties) && !parts.some((p) => p?.patternProperties || isObject(p?.additionalProperties));
      shapes.set(node, { parts, properties, listsFields });
    }
    return shapes.get(node);
  }

  /** Fields the value carries that its schema does not list (schemas stay open, so ajv cannot see them). */
  function undocumentedFields(schema, value, pointer = '', out = []) {
    const node = deref(schema);
    if (!node || typeof node !== 'object') return out;
    if (node.contentSchema && typeof value === 'string') return out;
    const branches = node.oneOf ?? node.anyOf;
    if (branches) {
      const fitting = branches.find((b) => compile(b)(value)) ?? branches.find((b) => deref(b)?.type === jsonType(value));
      if (fitting) undocumentedFields(fitting, value, pointer, out);
    }
    if (Array.isArray(value)) {
      if (node.items && typeof node.items === 'object')
        value.forEach((item, i) => {
          undocumentedFields(node.items, item, `${pointer}/${i}`, out);
        });
      return out;
    }
    if (!isObject(value)) return out;
    const { parts, properties, listsFields } = objectShape(node);
    for (const [key, child] of Object.entries(value)) {
      if (key in properties) undocumentedFields(properties[key], child, `${pointer}/${escapePointer(key)}`, out);
      else if (listsFields && !branches)
        out.push({
          pointer: `${pointer}/${escapePointer(key)}`,
          kind: 'undocumented-field',
          spec: 'not in the spec',
          seen: shapeOf(child),
        });
    }
    for (const part of parts.slice(1))
      if (part?.oneOf || part?.anyOf) undocumentedFields({ oneOf: part.oneOf ?? part.anyOf }, value, pointer, out);
    return out;
  }

  /** Fields the vendor's documented example carries and the answer lacks. */
  const commonItems = new WeakMap();
  function missingFromExample(example, value, pointer = '', out = []) {
    if (Array.isArray(example) && Array.isArray(value)) {
      // The members every item of the example's array has: what each item of the answer should have.
      if (!commonItems.has(example)) {
        const objects = example.filter(isObject);
        commonItems.set(
          example,
          objects.length
            ? Object.fromEntries(
                Object.keys(objects[0])
                  .filter((k) => objects.every((e) => k in e))
                  .map((k) => [k, objects[0][k]]),
              )
            : undefined,
        );
      }
      const common = commonItems.get(example);
      if (common) {
        value.forEach((item, i) => {
          missingFromExample(common, item, `${pointer}/${i}`, out);
        });
      }
      return out;
    }
    if (!isObject(example) || !isObject(value)) return out;
    for (const [key, child] of Object.entries(example)) {
      const here = `${pointer}/${escapePointer(key)}`;
      if (!(key in value)) out.push({ pointer: here, kind: 'missing-field', spec: "in the vendor's example", seen: 'absent' });
      else missingFromExample(child, value[key], here, out);
    }
    return out;
  }

  /** Request findings for a parsed body (undefined: no body). */
  function checkRequest(route, action, body, parseError) {
    const media = Object.values(route.operation.requestBody?.content ?? {})[0];
    if (!media) return [];
    if (parseError)
      return [{ pointer: '', kind: 'not-json', spec: route.textBody ? 'JSON text in a text/plain body' : 'a JSON body', seen: parseError }];
    if (body === undefined)
      return route.operation.requestBody.required ? [{ pointer: '', kind: 'missing-body', spec: 'a body', seen: 'no body' }] : [];
    if (!action) return [];
    const requestSchema = once(`request ${action.name}`, () => ({ $ref: action.request }));
    return dedupe([...schemaFindings(requestSchema, body), ...undocumentedFields(requestSchema, body)]);
  }

  /** The schema an answer with `status` must fit, for `action`: the 200 envelope narrowed to the action's data. */
  function answerSchema(route, action, status, body) {
    const failure = isObject(body) && body.success === false;
    return once(`answer ${route.method} ${route.path} ${action?.name} ${status} ${failure}`, () =>
      buildAnswerSchema(route, action, status, failure),
    );
  }

  function buildAnswerSchema(route, action, status, failure) {
    const response = deref(route.operation.responses?.[String(status)]);
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
  }

  /** Response findings for a status and a parsed body (undefined: no body or not JSON). */
  function checkResponse(route, action, status, body, contentType) {
    const { undocumented, schema, success } = answerSchema(route, action, status, body);
    if (undocumented) {
      const documented = Object.keys(route.operation.responses ?? {}).join(', ');
      return [{ pointer: '', kind: 'undocumented-status', spec: `statuses ${documented}`, seen: `status ${status}` }];
    }
    if (!schema) return [];
    if (body === undefined)
      return [
        { pointer: '', kind: 'not-json', spec: 'a JSON body', seen: contentType ? `a ${contentType.split(';')[0]} body` : 'no JSON body' },
      ];
    const findings = [...schemaFindings(schema, body), ...undocumentedFields(schema, body)];
    const exampleName = action?.examples?.response;
    if (success && exampleName) findings.push(...missingFromExample(doc.components.examples[exampleName]?.value, body));
    return dedupe(findings);
  }

  return { routes, selectorKeys, pickAction, checkRequest, checkResponse };
}

const escapePointer = (key) => (/[~/]/.test(key) ? String(key).replace(/~/g, '~0').replace(/\//g, '~1') : key);

/** One finding per pointer and kind. */
function dedupe(findings) {
  const seen = new Set();
  return findings.filter((f) => {
    const key = `${f.pointer} ${f.kind}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
