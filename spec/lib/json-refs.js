// References and data. The tools that read the spec follow a `$ref` wherever they meet one: Redocly's bundler
// (and openapi-typescript, which bundles with it) in every node it walks, extensions included, where it also
// follows `externalValue`; Prism's json-schema-ref-parser in every object of the document whose `$ref` is a
// string, an example's `value` included (OpenAPI calls that value literal; the parser does not know). A `$ref`
// that names a file or a URL makes them read it, and the mock then answers its content. So nothing that came
// from outside may become one: spec:add keeps captured data out of reference positions, the bundle step refuses
// a reference that leaves the spec's own files, and the mock refuses a bundle that still holds one.
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isObject } from './actions.js';

/**
 * The keys a tool follows wherever it meets them holding a string, whatever the node means: `$ref` (Prism's
 * parser, Redocly) and `externalValue` (Redocly, in every node it walks). Example values leave them out.
 */
export const FOLLOWED_KEYS = new Set(['$ref', 'externalValue']);

/**
 * Keys a tool treats as a reference, or as the base or target of one, where it reads a schema: JSON Schema's
 * `$ref`, `$dynamicRef`, `$recursiveRef`, `$id`, `$anchor`, `$dynamicAnchor`, `$recursiveAnchor` and
 * `$schema` (ajv; Redocly keeps a map of `$anchor`s), and OpenAPI's `externalValue`. No selector key may be
 * one: `select` sits in `x-qzz-actions`, which Redocly walks and resolves.
 */
export const REFERENCE_KEYS = new Set([
  '$ref',
  '$dynamicRef',
  '$recursiveRef',
  '$id',
  '$anchor',
  '$dynamicAnchor',
  '$recursiveAnchor',
  '$schema',
  'externalValue',
]);

/** The JSON pointer of `key` under `pointer`. */
const childPointer = (pointer, key) => `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;

/**
 * A JSON value without its members named by FOLLOWED_KEYS, and the JSON pointers of those left out. The other
 * keys of REFERENCE_KEYS stay: they mean something only where a schema is read, which an example value never is.
 * @param {unknown} value
 * @returns {{ value: unknown, dropped: string[] }}
 */
export function withoutReferences(value) {
  /** @type {string[]} */
  const dropped = [];
  const strip = (/** @type {unknown} */ node, /** @type {string} */ pointer) => {
    if (Array.isArray(node)) return node.map((item, i) => strip(item, childPointer(pointer, String(i))));
    if (!isObject(node)) return node;
    /** @type {Record<string, unknown>} */
    const kept = {};
    for (const [key, child] of Object.entries(node)) {
      const at = childPointer(pointer, key);
      if (FOLLOWED_KEYS.has(key)) dropped.push(at);
      else Object.defineProperty(kept, key, { value: strip(child, at), enumerable: true, writable: true, configurable: true });
    }
    return kept;
  };
  return { value: strip(value, ''), dropped };
}

/** Where a reference's target lies, from the file that holds it: `local` (`#…`), `url`, or a file path. */
function targetOf(ref, file) {
  if (ref.startsWith('#')) return { local: true };
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith('//')) return { url: true };
  const path = ref.split('#')[0];
  return { file: isAbsolute(path) ? path : resolve(dirname(file), path) };
}

/** Every member of a parsed document named by FOLLOWED_KEYS that holds a string, with its JSON pointer. */
function referencesIn(node, pointer = '', out = []) {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) referencesIn(item, childPointer(pointer, String(i)), out);
  } else if (isObject(node)) {
    for (const [key, child] of Object.entries(node)) {
      const at = childPointer(pointer, key);
      if (FOLLOWED_KEYS.has(key) && typeof child === 'string') out.push({ key, ref: child, at });
      else referencesIn(child, at, out);
    }
  }
  return out;
}

/**
 * What in the spec's sources refers outside its own files: every `$ref` and `externalValue` reachable from
 * `openapi.yaml` must be a pointer into the same file or a relative path to a file of the spec (not a URL, not
 * an absolute path, not a path that climbs out of the spec's folder or into its build output). Checked before
 * Redocly bundles, since Redocly reads what they name. Nothing found: an empty list.
 * @param {string} specDir
 * @param {(file: string) => unknown} load a source file, parsed (YAML or JSON); undefined when it cannot be read
 *   or parsed, which Redocly then reports itself
 * @returns {string[]}
 */
export function sourceReferenceProblems(specDir, load) {
  const root = resolve(specDir);
  const inside = (file) => {
    const path = relative(root, file);
    return path !== '' && !path.startsWith(`..${sep}`) && path !== '..' && !isAbsolute(path) && !/^(dist|node_modules)([\\/]|$)/.test(path);
  };
  /** @type {string[]} */
  const problems = [];
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const { key, ref, at } of referencesIn(load(file))) {
      const target = targetOf(ref, file);
      if (target.local) continue;
      if (target.url || !inside(target.file)) {
        problems.push(`${relative(root, file)}#${at}: \`${key}: ${ref}\` points outside the spec's own files`);
        continue;
      }
      visit(target.file);
    }
  };
  visit(join(root, 'openapi.yaml'));
  return problems;
}

/**
 * What in a bundle still refers outside it: a bundle holds only pointers into itself (`#/…`), and Redocly
 * inlines every `externalValue` it bundles, so any other `$ref`, or an `externalValue` left, is one that Prism,
 * openapi-typescript or Redoc would follow to a file or a URL.
 * @param {unknown} doc
 * @returns {string[]}
 */
export function bundleReferenceProblems(doc) {
  return referencesIn(doc)
    .filter(({ key, ref }) => key === 'externalValue' || !ref.startsWith('#'))
    .map(({ key, ref, at }) => `${at}: \`${key}: ${ref}\` points outside the bundle`);
}
