// Breaking changes between two bundles: what a team pinned to the older one would trip over.
//
// `contractChanges` lists every change, breaking or not (the docs' changelog reads it); `breakingChanges` the
// breaking ones, which the release guard (spec/test/breaking.test.js) fails on.
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
 * @typedef {(where: string, text: string, breaking: boolean) => void} Report
 *   Takes one change at `where`: what changed, and whether a team pinned to the older contract would trip over it.
 */

/** What a list of JSON types reads as in a change. */
const typeList = (types) => types.join(', ');

/**
 * Compares two schemas at `where` and reports every change: what breaks (the rules in the header), and what
 * does not (a field added, a request accepting more, an answer promising more).
 * @param {'request'|'response'} direction who sends the value: the client (request) or the server (response)
 * @param {Report} report
 */
function compareSchemas(before, after, where, direction, report, depth = 0) {
  if (depth > 40) return;
  const a = flatten(before.doc, before.schema);
  const b = flatten(after.doc, after.schema);

  const typesA = typesOf(a);
  const typesB = typesOf(b);
  const lost = [...typesA].filter((t) => !typesB.has(t) && !(t === 'integer' && typesB.has('number')));
  const gained = [...typesB].filter((t) => !typesA.has(t) && !(t === 'integer' && typesA.has('number')));
  if (direction === 'request') {
    if (lost.length) report(where, `type narrowed, no longer accepts ${typeList(lost)}`, true);
    if (gained.length) report(where, `type widened, now also accepts ${typeList(gained)}`, false);
    if (b.pattern && b.pattern !== a.pattern) report(where, `${a.pattern ? 'pattern changed' : 'pattern added'} (${b.pattern})`, true);
  } else {
    if (gained.length) report(where, `type widened, may now be ${typeList(gained)}`, true);
    if (lost.length) report(where, `type narrowed, no longer ${typeList(lost)}`, false);
    if (b.pattern && b.pattern !== a.pattern) report(where, `${a.pattern ? 'pattern changed' : 'pattern added'} (${b.pattern})`, false);
  }
  if (a.pattern && !b.pattern) report(where, 'pattern removed', false);
  if (a.enum && b.enum) {
    for (const value of a.enum) if (!b.enum.includes(value)) report(where, `enum value ${JSON.stringify(value)} removed`, true);
    for (const value of b.enum) if (!a.enum.includes(value)) report(where, `enum value ${JSON.stringify(value)} added`, false);
  } else if (!a.enum && b.enum) {
    report(where, `now limited to ${JSON.stringify(b.enum)}`, direction === 'request');
  } else if (a.enum && !b.enum) {
    report(where, 'no longer limited to a list of values', false);
  }
  if (b.const !== undefined && a.const === undefined && !(a.enum?.length === 1 && a.enum[0] === b.const)) {
    report(where, `now fixed to ${JSON.stringify(b.const)}`, true);
  } else if (a.const !== undefined && b.const !== undefined && a.const !== b.const) {
    report(where, `fixed value ${JSON.stringify(a.const)} changed to ${JSON.stringify(b.const)}`, true);
  } else if (a.const !== undefined && b.const === undefined) {
    report(where, `no longer fixed to ${JSON.stringify(a.const)}`, false);
  }

  const propsA = a.properties ?? {};
  const propsB = b.properties ?? {};
  for (const [name, schemaA] of Object.entries(propsA)) {
    if (!(name in propsB)) {
      report(`${where}.${name}`, 'field removed', true);
      continue;
    }
    compareSchemas(
      { doc: before.doc, schema: schemaA },
      { doc: after.doc, schema: propsB[name] },
      `${where}.${name}`,
      direction,
      report,
      depth + 1,
    );
  }
  for (const name of Object.keys(propsB)) if (!(name in propsA)) report(`${where}.${name}`, 'field added', false);
  const requiredA = new Set(a.required ?? []);
  const requiredB = new Set(b.required ?? []);
  for (const name of requiredB) {
    if (!requiredA.has(name))
      report(`${where}.${name}`, direction === 'request' ? 'newly required' : 'now always present', direction === 'request');
  }
  for (const name of requiredA) {
    if (!requiredB.has(name))
      report(`${where}.${name}`, direction === 'request' ? 'no longer required' : 'no longer always present', direction === 'response');
  }
  if (a.items && b.items) {
    compareSchemas({ doc: before.doc, schema: a.items }, { doc: after.doc, schema: b.items }, `${where}[]`, direction, report, depth + 1);
  }
  if (a.contentSchema && b.contentSchema) {
    compareSchemas(
      { doc: before.doc, schema: a.contentSchema },
      { doc: after.doc, schema: b.contentSchema },
      where,
      direction,
      report,
      depth + 1,
    );
  }
  const unionA = branches(before.doc, a);
  const unionB = branches(after.doc, b);
  if (unionA && unionB) {
    for (const [key, branch] of unionA) {
      if (!unionB.has(key)) report(where, `variant ${key} removed`, true);
      else
        compareSchemas(
          { doc: before.doc, schema: branch },
          { doc: after.doc, schema: unionB.get(key) },
          `${where}<${key}>`,
          direction,
          report,
          depth + 1,
        );
    }
    for (const key of unionB.keys()) if (!unionA.has(key)) report(where, `variant ${key} added`, false);
  }
}

const operationKey = ({ method, path }) => `${method.toUpperCase()} ${path}`;

/**
 * One change between two contracts: of an action (`action` names it), or of an operation as a whole (its
 * route, its answers' envelope and statuses). `where` is the place in it (`request.billdata.id`,
 * `response data.billno`, `200 answer.success`; empty for the action or operation itself).
 * @typedef {{ action?: string, operation: string, where: string, change: string, breaking: boolean }} ContractChange
 */

/**
 * Every change from `before` to `after` (two bundles), breaking or not, in the order a reader meets them:
 * operations (added, removed, their answers), then actions.
 * @returns {ContractChange[]}
 */
export function contractChanges(before, after) {
  /** @type {ContractChange[]} */
  const out = [];
  const operationsBefore = new Map(listOperations(before).map((o) => [operationKey(o), o]));
  const operationsAfter = new Map(listOperations(after).map((o) => [operationKey(o), o]));
  for (const key of operationsBefore.keys()) {
    if (!operationsAfter.has(key)) out.push({ operation: key, where: '', change: 'operation removed', breaking: true });
  }
  for (const key of operationsAfter.keys()) {
    if (!operationsBefore.has(key)) out.push({ operation: key, where: '', change: 'operation added', breaking: false });
  }
  // Each answer as a whole (the envelope around the actions' data, the error answers), as readers parse it.
  for (const [key, operation] of operationsBefore) {
    const now = operationsAfter.get(key);
    if (!now) continue;
    const statusesBefore = operation.operation.responses ?? {};
    const statusesAfter = now.operation.responses ?? {};
    for (const status of Object.keys(statusesAfter)) {
      if (!(status in statusesBefore)) out.push({ operation: key, where: '', change: `answer ${status} documented`, breaking: false });
    }
    for (const [status, response] of Object.entries(statusesBefore)) {
      if (!(status in statusesAfter)) {
        out.push({ operation: key, where: '', change: `answer ${status} no longer documented`, breaking: false });
        continue;
      }
      const answerBefore = resolvePointer(before, response.$ref) ?? response;
      const answerAfter = resolvePointer(after, statusesAfter[status]?.$ref) ?? statusesAfter[status];
      for (const [type, media] of Object.entries(answerBefore?.content ?? {})) {
        const mediaAfter = answerAfter?.content?.[type];
        if (!media.schema || !mediaAfter?.schema) continue;
        compareSchemas(
          { doc: before, schema: media.schema },
          { doc: after, schema: mediaAfter.schema },
          `${status} answer`,
          'response',
          (where, change, breaking) => out.push({ operation: key, where, change, breaking }),
        );
      }
    }
  }
  const actionsBefore = new Map(listActions(before).map((a) => [a.name, a]));
  const actionsAfter = new Map(listActions(after).map((a) => [a.name, a]));
  for (const now of actionsAfter.values()) {
    if (!actionsBefore.has(now.name))
      out.push({ action: now.name, operation: operationKey(now), where: '', change: 'added', breaking: false });
  }
  for (const action of actionsBefore.values()) {
    const now = actionsAfter.get(action.name);
    /** @type {Report} */
    const report = (where, change, breaking) => {
      out.push({ action: action.name, operation: operationKey(now ?? action), where, change, breaking });
    };
    if (!now) {
      report('', 'removed', true);
      continue;
    }
    if (operationKey(now) !== operationKey(action)) report('', `moved from ${operationKey(action)} to ${operationKey(now)}`, true);
    if (JSON.stringify(now.select) !== JSON.stringify(action.select))
      report('', `now selected by ${JSON.stringify(now.select)} (was ${JSON.stringify(action.select)})`, true);
    if (now.status !== action.status) report('', `status ${action.status} → ${now.status}`, false);
    compareSchemas(
      { doc: before, schema: { $ref: action.request } },
      { doc: after, schema: { $ref: now.request } },
      'request',
      'request',
      report,
    );
    compareSchemas(
      { doc: before, schema: { $ref: action.response } },
      { doc: after, schema: { $ref: now.response } },
      'response data',
      'response',
      report,
    );
  }
  return out;
}

/**
 * A change as one readable line: `action pushX request.entryPk: field removed`, `POST /a/b: operation removed`.
 * @param {ContractChange} change
 */
export function changeLine({ action, operation, where, change }) {
  const subject = action ? `action ${action}` : operation;
  return `${subject}${where ? ` ${where}` : ''}: ${change}`;
}

/** Every breaking change from `before` to `after` (two bundles), as readable lines. */
export function breakingChanges(before, after) {
  return [
    ...new Set(
      contractChanges(before, after)
        .filter((c) => c.breaking)
        .map(changeLine),
    ),
  ];
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
