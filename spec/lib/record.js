// What `pnpm spec:add` accepts as an evidence record: a reference page's `endpoints/*.json`, or one the proxy
// captured. A record comes from outside (a capture is whatever the traffic held), and its strings end up in
// YAML keys, file names, generated code and the docs: so its shape is checked, the strings that name things
// (route, title, selector) are held to plain text within limits, and no key may reach an object's prototype.
import { isObject, RECORD_SOURCE } from './actions.js';
import { REFERENCE_KEYS } from './json-refs.js';

/**
 * The limits of a record's naming strings (docs/keeping-the-spec-true.md states them). The vendor's own are far
 * below: titles of up to 14 characters, routes of up to 57.
 */
export const LIMITS = Object.freeze({
  /** Characters of the route (without scheme and host). */
  route: 256,
  /** Characters of one route segment: the last one names the path file, and a file name holds 255 bytes. */
  segment: 100,
  /** Characters of the title. */
  title: 200,
  /** Characters of a selector key or value (they name the action, its schemas and examples). */
  selector: 100,
  /** Nesting of an example or a selector: spec:add reads them by recursion. */
  depth: 32,
});

/** The methods an OpenAPI path item holds: a record's method is one of them, lowercased. */
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
/** A route: `/` and the characters RFC 3986 allows in a path (no braces: the spec would read a template). */
const ROUTE = /^(?:https?:\/\/[^/\s?#]+)?(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)$/;
/** Control characters (C0, DEL, C1), and the line and paragraph separators JavaScript reads as line ends. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** Keys that reach an object's prototype when assigned (`__proto__`), or shadow what its methods rely on. */
export const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * What is wrong with a string that names something (route, title, selector key or value): nothing, or why.
 * @param {string} text
 * @param {number} limit
 */
function namingProblem(text, limit) {
  if (text.length > limit) return `is ${text.length} characters long; at most ${limit}`;
  if (CONTROL.test(text))
    return `holds a control character (U+${text.match(CONTROL)?.[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
  if (/[{}]/.test(text)) return 'holds `{` or `}`';
  if (text.includes('__proto__')) return 'holds `__proto__`';
  return undefined;
}

/**
 * JSON text as a record holds it: parsed, or — when the page's excerpt stops mid-JSON — closed after its last
 * complete member (nothing completed, nothing invented). `undefined` when nothing usable is left.
 * @param {string | null | undefined} text
 * @returns {{ value: unknown, cut: boolean } | undefined}
 */
export function parseExample(text) {
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  try {
    return { value: JSON.parse(text), cut: false };
  } catch {
    // Cut: close it after the last complete member.
  }
  const at = lastCompleteMember(text);
  if (at === undefined) return undefined;
  try {
    return { value: JSON.parse(text.slice(0, at) + closersAt(text, at)), cut: true };
  } catch {
    return undefined;
  }
}

/**
 * Walks JSON text outside its strings, calling `step(character, index, open)` with the closers still owed.
 * @param {string} text
 * @param {number} end
 * @param {(c: string, i: number, open: string[]) => void} step
 */
function scanJson(text, end, step) {
  /** @type {string[]} */
  const open = [];
  let inString = false;
  let escaped = false;
  for (let i = 0; i < end; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') open.push(c === '{' ? '}' : ']');
    else if (c === '}' || c === ']') open.pop();
    step(c, i, open);
  }
  return open;
}

/** Where cut JSON text ends after its last complete member, still inside a container; undefined if nowhere. */
function lastCompleteMember(text) {
  let best;
  scanJson(text, text.length, (c, i, open) => {
    if ((c === '}' || c === ']') && open.length) best = i + 1;
    else if (c === ',' && open.length) best = i;
  });
  return best;
}

/** The closers the containers open at `at` need, innermost first. */
const closersAt = (text, at) =>
  scanJson(text, at, () => {})
    .reverse()
    .join('');

/** How deep a JSON value nests (an iterative walk: the value may be deeper than the stack). */
function depthOf(value) {
  let deepest = 0;
  const pending = [{ node: value, depth: 0 }];
  while (pending.length) {
    const { node, depth } = /** @type {{ node: unknown, depth: number }} */ (pending.pop());
    deepest = Math.max(deepest, depth);
    if (deepest > LIMITS.depth) break;
    if (node !== null && typeof node === 'object') for (const child of Object.values(node)) pending.push({ node: child, depth: depth + 1 });
  }
  return deepest;
}

/** The JSON pointer of the first key of PROTOTYPE_KEYS in a value (within LIMITS.depth), or undefined. */
function prototypeKeyIn(value, pointer = '') {
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (PROTOTYPE_KEYS.has(key)) return `${pointer}/${key}`;
    const found = prototypeKeyIn(child, `${pointer}/${key}`);
    if (found) return found;
  }
  return undefined;
}

/** Problems of the record's shape: the fields spec:add reads, with the types it reads them as. */
function shapeProblems(record) {
  const problems = [];
  if (typeof record.source_page !== 'string' || !RECORD_SOURCE.test(record.source_page) || record.source_page.length > LIMITS.selector)
    problems.push(
      `\`source_page\` must name the record: api-N, ext-…, or captured-… (lowercase letters, digits, hyphens; at most ${LIMITS.selector})`,
    );
  if (typeof record.method !== 'string' || !METHODS.has(record.method.toLowerCase()))
    problems.push(`\`method\` must be an HTTP method (${[...METHODS].join(', ')})`);
  if (typeof record.path !== 'string' || !ROUTE.test(record.path))
    problems.push(
      '`path` must be the route: starting with "/", of the characters a URL path allows (letters, digits, -._~!$&\'()*+,;=:@%/; no braces, spaces or query)',
    );
  for (const key of ['body_fields', 'response_fields']) {
    const fields = record[key];
    if (
      fields != null &&
      (!Array.isArray(fields) ||
        fields.some(
          (f) => !isObject(f) || typeof f.name !== 'string' || (f.path_from_example != null && typeof f.path_from_example !== 'string'),
        ))
    )
      problems.push(`\`${key}\` must be a list of fields, each with a \`name\` (and a \`path_from_example\` only as text)`);
  }
  for (const key of ['request_example', 'response_example']) {
    if (record[key] != null && typeof record[key] !== 'string') problems.push(`\`${key}\` must be JSON text (or null)`);
  }
  if (record.select != null && !isObject(record.select)) problems.push('`select` must be an object of body values');
  if (record.title != null && typeof record.title !== 'string') problems.push('`title` must be text');
  if (record.module != null && typeof record.module !== 'string') problems.push('`module` must be text');
  if (
    record.body_content_type != null &&
    (typeof record.body_content_type !== 'string' || !/^[\w.+-]+\/[\w.+-]+\s*(;|$)/.test(record.body_content_type))
  )
    problems.push('`body_content_type` must be a media type (`application/json`, `text/plain`)');
  return problems;
}

/** Problems of the strings that name things: the route and its segments, the title, the module, the selector. */
function namingProblems(record) {
  const problems = [];
  const named = (field, text, limit) => {
    const problem = namingProblem(text, limit);
    if (problem) problems.push(`${field} ${problem}`);
  };
  const route = record.path.replace(/^https?:\/\/[^/]+/, '');
  named('`path`', route, LIMITS.route);
  for (const segment of route.split('/')) if (segment.length > LIMITS.segment) named('a segment of `path`', segment, LIMITS.segment);
  if (record.title != null) named('`title`', record.title, LIMITS.title);
  if (record.module != null) named('`module`', record.module, LIMITS.selector);
  if (record.select != null) {
    if (depthOf(record.select) > LIMITS.depth) problems.push(`\`select\` nests deeper than ${LIMITS.depth}`);
    else problems.push(...selectorProblems(record.select, 'select'));
  }
  return problems;
}

/** Problems of a selector: its keys and leaf values name the action; its keys become keys of `x-qzz-actions`. */
function selectorProblems(select, at) {
  const problems = [];
  for (const [key, value] of Object.entries(select)) {
    const field = `\`${at}.${key}\``;
    const keyProblem = namingProblem(key, LIMITS.selector);
    if (keyProblem) problems.push(`the key of ${field} ${keyProblem}`);
    else if (PROTOTYPE_KEYS.has(key)) problems.push(`the key of ${field} is \`${key}\`, which would reach an object's prototype`);
    else if (REFERENCE_KEYS.has(key)) problems.push(`the key of ${field} is \`${key}\`, which spec tools would read as a reference`);
    if (isObject(value)) problems.push(...selectorProblems(value, `${at}.${key}`));
    else if (typeof value !== 'string') problems.push(`${field} must be text (a selector value is a string on the wire)`);
    else {
      const problem = namingProblem(value, LIMITS.selector);
      if (problem) problems.push(`${field} ${problem}`);
    }
  }
  return problems;
}

/** Problems of the examples and field tables: no deeper than LIMITS.depth, and no key of PROTOTYPE_KEYS. */
function dataProblems(record) {
  const problems = [];
  for (const key of ['request_example', 'response_example']) {
    const parsed = parseExample(record[key]);
    if (!parsed) continue;
    // A text/plain body's example is JSON text inside JSON text: its inner value counts too.
    const inner = typeof parsed.value === 'string' ? parseExample(parsed.value)?.value : undefined;
    for (const value of [parsed.value, inner]) {
      if (depthOf(value) > LIMITS.depth) {
        problems.push(`\`${key}\` nests deeper than ${LIMITS.depth}`);
        break;
      }
      const at = prototypeKeyIn(value);
      if (at) problems.push(`\`${key}\` holds the key \`${at.split('/').at(-1)}\` (at ${at}), which would reach an object's prototype`);
    }
  }
  for (const key of ['body_fields', 'response_fields']) {
    for (const field of record[key] ?? []) {
      const name = [field.name, field.path_from_example].find(
        (n) => typeof n === 'string' && n.split('.').some((part) => PROTOTYPE_KEYS.has(part)),
      );
      if (name) problems.push(`\`${key}\` lists the field \`${name}\`, a name that would reach an object's prototype`);
    }
  }
  return problems;
}

/**
 * What is wrong with a record (nothing when it can be scaffolded): its shape, then the strings that name
 * things, then its data; each problem names the field.
 * @param {any} record
 * @returns {string[]}
 */
export function recordProblems(record) {
  if (!isObject(record)) return ['the record is not a JSON object'];
  const shape = shapeProblems(record);
  if (shape.length) return shape;
  const problems = [...namingProblems(record), ...dataProblems(record)];
  if (
    problems.length === 0 &&
    parseExample(record.request_example) === undefined &&
    !(record.body_fields ?? []).length &&
    record.method.toUpperCase() !== 'GET'
  ) {
    problems.push('the record shows neither a request example nor body fields: there is nothing to describe');
  }
  return problems;
}
