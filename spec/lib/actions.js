// Reading the bundle's `x-qzz-actions`: shared by the tests, the mock, the client generator and the docs,
// so every consumer picks actions the same way.

/** Follows a local JSON pointer (`#/a/b~1c`) into `doc`; undefined when it leads nowhere. */
export function resolvePointer(doc, pointer) {
  if (typeof pointer !== 'string' || !pointer.startsWith('#/')) return undefined;
  return pointer
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, key) => (node !== null && typeof node === 'object' ? node[key] : undefined), doc);
}

/** The evidence records an action may name as its `source`: a vendor page, a third-party source, captured traffic. */
export const RECORD_SOURCE = /^(api-[0-9]+|ext-[a-z0-9-]+|captured-[a-z0-9-]+)$/;

/** A module's slug (`project-manufacturing`) as the camelCase key of operationIds and the client (`projectManufacturing`). */
export const moduleKey = (slug) => slug.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

/** Where a local `$ref` to a schema of the bundle points: `#/components/schemas/<name>`. */
export const COMPONENT_SCHEMAS = '#/components/schemas/';

/** @typedef {'read' | 'push' | 'write'} Effect What calling an action does to a tenant. */

/**
 * What calling an action of `kind` does to a tenant: only a query reads; a push answers an unsaved draft (the
 * vendor's examples answer it with id "0"); every other kind writes — a save, an audit, `operate`, and a kind no
 * code knows yet (a bundle made later, or given by a user), so that what is not known to be safe is never sent by
 * accident. The check and the MCP server decide what they send by it.
 * @param {string} kind
 * @returns {Effect}
 */
export const effectOf = (kind) => (kind === 'query' ? 'read' : kind === 'push' ? 'push' : 'write');

/**
 * True for the Kingdee gateway's own signed calls: their security asks for the `X-Api-Signature` scheme
 * (`kingdeeSignature`). Every other operation is a business call with the four gateway values — even one whose
 * security makes them optional (the production in-stock query).
 */
export const isSignedCall = (operation) => (operation.security ?? []).some((requirement) => 'kingdeeSignature' in requirement);

/**
 * Every operation of the bundle with its method, path, actions, whether it is a signed call of the gateway
 * itself, and `wirePath` (where a request goes below the document's server: its own server's prefix, then the
 * path), in document order.
 */
export function listOperations(doc) {
  const operations = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation || typeof operation !== 'object' || !Array.isArray(operation['x-qzz-actions'])) continue;
      const wirePath = `${serverPrefix(doc, path, method)}${path}`;
      operations.push({ path, wirePath, method, operation, signed: isSignedCall(operation), actions: operation['x-qzz-actions'] });
    }
  }
  return operations;
}

/**
 * What an operation's own server (on the operation or its path) adds in front of its path, relative to the
 * document's first server: `/mxocminimes` for a path served from `https://api.kingdee.com/mxocminimes` in a
 * document served from `https://api.kingdee.com`; `''` when the operation has no server of its own.
 */
export function serverPrefix(doc, path, method) {
  const own = (doc.paths?.[path]?.[method]?.servers ?? doc.paths?.[path]?.servers)?.[0]?.url;
  const root = doc.servers?.[0]?.url;
  if (!own || !root) return '';
  const [ownUrl, rootUrl] = [new URL(own), new URL(root)];
  const base = rootUrl.pathname.replace(/\/$/, '');
  if (ownUrl.origin !== rootUrl.origin || !ownUrl.pathname.startsWith(base)) {
    throw new Error(`${method.toUpperCase()} ${path}: its server ${own} is not under the document's ${root}`);
  }
  return ownUrl.pathname.slice(base.length).replace(/\/$/, '');
}

/** Every action of the bundle, each with its operation's path, `wirePath`, method, `signed`, operationId and tag. */
export function listActions(doc) {
  return listOperations(doc).flatMap(({ path, wirePath, method, operation, signed, actions }) =>
    actions.map((action) => ({ ...action, path, wirePath, method, signed, operationId: operation.operationId, tag: operation.tags?.[0] })),
  );
}

/**
 * True for a JSON object: not null, not an array.
 * @param {unknown} v
 * @returns {v is Record<string, any>}
 */
export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The leaf paths of a select object (`{params: {operate: 'save'}}` → [['params', 'operate']]): the body fields
 * it selects by.
 * @param {unknown} select
 * @param {string[]} [prefix]
 * @returns {string[][]}
 */
export const selectPaths = (select, prefix = []) =>
  Object.entries(select ?? {}).flatMap(([k, v]) => (isObject(v) ? selectPaths(v, [...prefix, k]) : [[...prefix, k]]));

/** `value` with the keys of every object in it sorted. */
const sortDeep = (value) =>
  isObject(value)
    ? Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, sortDeep(value[k])]),
      )
    : value;

/**
 * A selector (an action's `select`, or the values a body carries at the selecting fields) as text: the same for the
 * same values in any key order, so two selectors are compared, or a record named, by it.
 * @param {unknown} select
 */
export const selectorKey = (select) => JSON.stringify(sortDeep(select ?? {}));

/**
 * The value at a path of keys in `value`; undefined where a step is not an object.
 * @param {unknown} value
 * @param {string[]} keys
 * @returns {unknown}
 */
export const valueAt = (value, keys) => keys.reduce((node, k) => (isObject(node) ? node[k] : undefined), value);

/**
 * The selector a body carries: its string values at `selectorKeys` (paths of keys), as a `select` object.
 * @param {unknown} body
 * @param {string[][]} selectorKeys
 * @returns {Record<string, any>}
 */
export function selectorOf(body, selectorKeys) {
  /** @type {Record<string, any>} */
  const selector = {};
  for (const keys of selectorKeys) {
    const value = valueAt(body, keys);
    if (typeof value !== 'string') continue;
    let node = selector;
    for (const k of keys.slice(0, -1)) {
      node[k] ??= {};
      node = node[k];
    }
    node[String(keys.at(-1))] = value;
  }
  return selector;
}

/**
 * `node`, or the node its local `$ref` points to in `doc` (one step, as the bundle's examples and media use).
 * @param {any} doc
 * @param {any} node
 */
export const deref = (doc, node) => (node?.$ref ? resolvePointer(doc, node.$ref) : node);

/** True when `body` carries every value `select` names (a deep, partial match; `{}` selects anything). */
export function matchesSelect(select, body) {
  return Object.entries(select ?? {}).every(([key, want]) =>
    isObject(want) ? isObject(body?.[key]) && matchesSelect(want, body[key]) : body?.[key] === want,
  );
}

/** `body` with the values `select` names filled in (deeply), without changing `body`. */
export function applySelect(select, body) {
  const out = isObject(body) ? { ...body } : {};
  for (const [key, want] of Object.entries(select ?? {})) {
    out[key] = isObject(want) ? applySelect(want, out[key]) : want;
  }
  return out;
}

/** How many leaf values `select` names: the more, the more specific the action. */
export function selectWeight(select) {
  return Object.values(select ?? {}).reduce((n, v) => n + (isObject(v) ? selectWeight(v) : 1), 0);
}

/**
 * The actions a body may ask for, most specific first: those whose `select` values it carries, by how many
 * values they name. A body that carries none of them is tried against every action. `selectOf` reads an
 * item's `select` (items may wrap their action). The mock and the proxy pick an action this way.
 * @template T
 * @param {T[]} items
 * @param {unknown} body
 * @param {(item: T) => object} [selectOf]
 * @returns {T[]}
 */
export function candidateActions(items, body, selectOf = (item) => /** @type {any} */ (item).select) {
  const selected = items.filter((item) => matchesSelect(selectOf(item), body));
  return (selected.length ? selected : items).toSorted((a, b) => selectWeight(selectOf(b)) - selectWeight(selectOf(a)));
}

/**
 * What the spec's calls send besides a path, a query and a body, for a server a browser calls (its CORS): the
 * methods of the operations, and the request headers they name — the security schemes and parameters sent in a
 * header (the credentials, the gateway's `X-Api-*` signature headers), and `Content-Type` for a call with a body.
 * @returns {{ methods: string[], headers: string[] }}
 */
export function requestShape(doc) {
  const methods = new Set();
  const headers = new Set();
  const schemes = doc.components?.securitySchemes ?? {};
  for (const { path, method, operation } of listOperations(doc)) {
    methods.add(method.toUpperCase());
    for (const requirement of operation.security ?? doc.security ?? [])
      for (const name of Object.keys(requirement)) if (deref(doc, schemes[name])?.in === 'header') headers.add(schemes[name].name);
    for (const parameter of [...(doc.paths[path].parameters ?? []), ...(operation.parameters ?? [])].map((p) => deref(doc, p)))
      if (parameter?.in === 'header') headers.add(parameter.name);
    if (operation.requestBody) headers.add('Content-Type');
  }
  return { methods: [...methods], headers: [...headers] };
}
