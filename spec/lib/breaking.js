// Breaking changes between two bundles: what a team pinned to the older one would trip over.
//
// No maintained JavaScript library diffs OpenAPI 3.1 (openapi-diff stops at 3.0; oasdiff is a Go binary), and
// none would know the vendor actions of `x-qzz-actions`, so this is a small diff of its own. It reports:
// - a removed operation or action, or an action selected by other body values;
// - a removed field, in a request or a response;
// - a removed enum value, or a field that gained a `const`;
// - in a request: a field newly required, or a type narrowed (fewer JSON types, a new or changed pattern);
// - in a response: a type widened (more JSON types than readers were promised), or a field no longer required
//   (readers were promised it is always there).
import { listActions, listOperations, resolvePointer } from './actions.js';

const TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];

/** The JSON types a schema admits (every type when it says nothing). */
function typesOf(schema) {
  if (schema.const !== undefined) return new Set([jsonType(schema.const)]);
  if (schema.type) return new Set([schema.type].flat());
  return new Set(TYPES);
}
const jsonType = (value) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** The schema behind `$ref`s, with `allOf` parts merged into one (properties and required lists). */
function flatten(doc, schema, seen = new Set()) {
  let node = schema ?? {};
  while (node.$ref) {
    if (seen.has(node.$ref)) return {};
    seen.add(node.$ref);
    node = resolvePointer(doc, node.$ref) ?? {};
  }
  if (!node.allOf) return node;
  const parts = node.allOf.map((part) => flatten(doc, part, new Set(seen)));
  const { allOf: _allOf, ...rest } = node;
  let merged = rest;
  for (const part of parts) {
    merged = {
      ...part,
      ...merged,
      properties: { ...part.properties, ...merged.properties },
      required: [...new Set([...(merged.required ?? []), ...(part.required ?? [])])],
    };
  }
  return merged;
}

/** The branches of a union, keyed by title where they have one. */
function branches(doc, schema) {
  const list = schema.oneOf ?? schema.anyOf;
  if (!list) return undefined;
  return new Map(list.map((branch, i) => [flatten(doc, branch).title ?? `#${i}`, branch]));
}

/**
 * Compares two schemas at `where` and pushes what breaks into `out`.
 * @param {'request'|'response'} direction who sends the value: the client (request) or the server (response)
 */
function compareSchemas(before, after, where, direction, out, depth = 0) {
  if (depth > 40) return;
  const a = flatten(before.doc, before.schema);
  const b = flatten(after.doc, after.schema);

  const typesA = typesOf(a);
  const typesB = typesOf(b);
  if (direction === 'request') {
    const lost = [...typesA].filter((t) => !typesB.has(t) && !(t === 'integer' && typesB.has('number')));
    if (lost.length) out.push(`${where}: type narrowed, no longer accepts ${lost.join(', ')}`);
    if (b.pattern && b.pattern !== a.pattern) out.push(`${where}: ${a.pattern ? 'pattern changed' : 'pattern added'} (${b.pattern})`);
  } else {
    const gained = [...typesB].filter((t) => !typesA.has(t) && !(t === 'integer' && typesA.has('number')));
    if (gained.length) out.push(`${where}: type widened, may now be ${gained.join(', ')}`);
  }
  if (a.enum && b.enum) {
    for (const value of a.enum) if (!b.enum.includes(value)) out.push(`${where}: enum value ${JSON.stringify(value)} removed`);
  } else if (!a.enum && b.enum && direction === 'request') {
    out.push(`${where}: now limited to ${JSON.stringify(b.enum)}`);
  }
  if (b.const !== undefined && a.const === undefined && !(a.enum?.length === 1 && a.enum[0] === b.const)) {
    out.push(`${where}: now fixed to ${JSON.stringify(b.const)}`);
  } else if (a.const !== undefined && b.const !== undefined && a.const !== b.const) {
    out.push(`${where}: fixed value ${JSON.stringify(a.const)} changed to ${JSON.stringify(b.const)}`);
  }

  const propsA = a.properties ?? {};
  const propsB = b.properties ?? {};
  for (const [name, schemaA] of Object.entries(propsA)) {
    if (!(name in propsB)) {
      out.push(`${where}.${name}: field removed`);
      continue;
    }
    compareSchemas(
      { doc: before.doc, schema: schemaA },
      { doc: after.doc, schema: propsB[name] },
      `${where}.${name}`,
      direction,
      out,
      depth + 1,
    );
  }
  if (direction === 'request') {
    const required = new Set(a.required ?? []);
    for (const name of b.required ?? []) if (!required.has(name)) out.push(`${where}.${name}: newly required`);
  } else {
    const required = new Set(b.required ?? []);
    for (const name of a.required ?? []) if (!required.has(name)) out.push(`${where}.${name}: no longer always present`);
  }
  if (a.items && b.items) {
    compareSchemas({ doc: before.doc, schema: a.items }, { doc: after.doc, schema: b.items }, `${where}[]`, direction, out, depth + 1);
  }
  if (a.contentSchema && b.contentSchema) {
    compareSchemas(
      { doc: before.doc, schema: a.contentSchema },
      { doc: after.doc, schema: b.contentSchema },
      where,
      direction,
      out,
      depth + 1,
    );
  }
  const unionA = branches(before.doc, a);
  const unionB = branches(after.doc, b);
  if (unionA && unionB) {
    for (const [key, branch] of unionA) {
      if (!unionB.has(key)) out.push(`${where}: variant ${key} removed`);
      else
        compareSchemas(
          { doc: before.doc, schema: branch },
          { doc: after.doc, schema: unionB.get(key) },
          `${where}<${key}>`,
          direction,
          out,
          depth + 1,
        );
    }
  }
}

const operationKey = ({ method, path }) => `${method.toUpperCase()} ${path}`;

/** Every breaking change from `before` to `after` (two bundles), as readable lines. */
export function breakingChanges(before, after) {
  const out = [];
  const operationsAfter = new Map(listOperations(after).map((o) => [operationKey(o), o]));
  for (const operation of listOperations(before)) {
    if (!operationsAfter.has(operationKey(operation))) out.push(`${operationKey(operation)}: operation removed`);
  }
  // Each answer as a whole (the envelope around the actions' data, the error answers), as readers parse it.
  for (const operation of listOperations(before)) {
    const now = operationsAfter.get(operationKey(operation));
    if (!now) continue;
    for (const [status, response] of Object.entries(operation.operation.responses ?? {})) {
      const answerBefore = resolvePointer(before, response.$ref) ?? response;
      const answerAfter = resolvePointer(after, now.operation.responses?.[status]?.$ref) ?? now.operation.responses?.[status];
      for (const [type, media] of Object.entries(answerBefore?.content ?? {})) {
        const mediaAfter = answerAfter?.content?.[type];
        if (!media.schema || !mediaAfter?.schema) continue;
        compareSchemas(
          { doc: before, schema: media.schema },
          { doc: after, schema: mediaAfter.schema },
          `${operationKey(operation)} ${status} answer`,
          'response',
          out,
        );
      }
    }
  }
  const actionsAfter = new Map(listActions(after).map((a) => [a.name, a]));
  for (const action of listActions(before)) {
    const now = actionsAfter.get(action.name);
    const at = `action ${action.name}`;
    if (!now) {
      out.push(`${at}: removed`);
      continue;
    }
    if (operationKey(now) !== operationKey(action)) out.push(`${at}: moved from ${operationKey(action)} to ${operationKey(now)}`);
    if (JSON.stringify(now.select) !== JSON.stringify(action.select))
      out.push(`${at}: now selected by ${JSON.stringify(now.select)} (was ${JSON.stringify(action.select)})`);
    compareSchemas(
      { doc: before, schema: { $ref: action.request } },
      { doc: after, schema: { $ref: now.request } },
      `${at} request`,
      'request',
      out,
    );
    compareSchemas(
      { doc: before, schema: { $ref: action.response } },
      { doc: after, schema: { $ref: now.response } },
      `${at} response data`,
      'response',
      out,
    );
  }
  return [...new Set(out)];
}

/**
 * True when going from version `before` to `after` may break users, as semver reads it: a new major number,
 * or below 1.0.0 a new minor one (`0.1.0` → `0.2.0`, which is what changesets' `minor` gives a 0.x package).
 * @param {string} before
 * @param {string} after
 */
export function allowsBreaking(before, after) {
  const [majorA, minorA] = String(before).split('.').map(Number);
  const [majorB, minorB] = String(after).split('.').map(Number);
  return majorB > majorA || (majorA === 0 && majorB === 0 && minorB > minorA);
}
