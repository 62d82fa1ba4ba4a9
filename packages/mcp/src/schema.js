// A tool's input schema: the action's request schema as the client's action function takes it (without the
// values that select the action on its route, which the client fills in), made self-contained — the bundle's
// `#/components/schemas/…` references become `#/$defs/…` of the tool's own schema — so an assistant's MCP
// client can read it without the spec.
import { COMPONENT_SCHEMAS, deref, isObject, resolvePointer } from '@qzz/spec/actions';

/** The keywords whose value maps names to schemas. */
const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas']);

/**
 * `schema` without the fields `select` fills in, deeply (as the client's `Unselected<>` type does): a leaf of
 * `select` removes its property (and its `required` entry); a nested `select` object narrows the property's own
 * schema, which is copied out of its reference for that.
 * @param {any} doc the bundle
 * @param {unknown} schema
 * @param {Record<string, unknown>} select
 * @returns {unknown}
 */
export function withoutSelected(doc, schema, select) {
  const own = deref(doc, schema);
  if (!isObject(own) || Object.keys(select).length === 0) return schema;
  const properties = { ...(isObject(own.properties) ? own.properties : {}) };
  const filled = new Set();
  for (const [key, value] of Object.entries(select)) {
    if (isObject(value)) {
      if (key in properties) properties[key] = withoutSelected(doc, properties[key], value);
    } else {
      delete properties[key];
      filled.add(key);
    }
  }
  const required = Array.isArray(own.required) ? own.required.filter((key) => !filled.has(key)) : undefined;
  return { ...own, properties, ...(required ? { required } : {}) };
}

/**
 * Every component schema `root` reaches, by name, and `root` with its references rewritten to `#/$defs/<name>`.
 * @param {any} doc
 * @param {unknown} root
 */
function selfContained(doc, root) {
  /** @type {Record<string, unknown>} */
  const defs = {};
  /** @type {string[]} */
  const pending = [];
  /** A schema (or a map of schemas by name, where keys are names, not keywords) with its references rewritten. */
  const rewrite = (/** @type {unknown} */ node, names = false) => {
    if (Array.isArray(node)) return node.map((item) => rewrite(item));
    if (!isObject(node)) return node;
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      if (names) out[key] = rewrite(value);
      else if (key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT_SCHEMAS))
        out.$ref = `#/$defs/${reach(value.slice(COMPONENT_SCHEMAS.length))}`;
      // A tool's schema says what to send; the documented examples' ids belong to the vendor's pages, not a tenant.
      else if (key !== 'examples' && key !== 'example') out[key] = rewrite(value, NAME_MAPS.has(key));
    }
    return out;
  };
  const reach = (/** @type {string} */ name) => {
    if (!(name in defs)) {
      defs[name] = null;
      pending.push(name);
    }
    return name;
  };
  const schema = rewrite(root);
  while (pending.length) {
    const name = /** @type {string} */ (pending.pop());
    defs[name] = rewrite(resolvePointer(doc, `${COMPONENT_SCHEMAS}${name}`));
  }
  return { schema, defs };
}

/**
 * The JSON Schema of a tool's arguments for `action` (an item of `listActions`): an object, as MCP requires.
 * @param {any} doc
 * @param {{ request?: string, select?: Record<string, unknown> }} action
 * @returns {Record<string, unknown>}
 */
export function inputSchemaOf(doc, action) {
  const request = action.request ? withoutSelected(doc, { $ref: action.request }, action.select ?? {}) : { type: 'object' };
  const { schema, defs } = selfContained(doc, deref(doc, request));
  const object = isObject(schema) ? schema : {};
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...object,
    type: 'object',
    ...(Object.keys(defs).length ? { $defs: defs } : {}),
  };
}
