// The report as SARIF 2.1.0 (`check --sarif`), for code scanning to annotate the spec where to fix it: each
// discrepancy of the report is one result, located at the spec's SOURCE file and line (spec/paths/…,
// spec/components/…) of the schema its pointer names for its action, direction and status. The bundle has no
// lines: the route is found in the bundle, then its operation, the action's schemas and the pointer's fields are
// followed through the source YAML, `$ref` by `$ref`, with the `yaml` package's line counter. A result says what
// its report line says (kinds, types and shapes, never values): the report's masking holds.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listOperations } from '@qzz/spec/actions';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { unescapePointer } from './json.js';
import { discrepancyKey } from './report.js';

const DEFAULT_SPEC = fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
/** The spec's root source file in a folder of its sources (the `spec/` folder of a checkout of the repository). */
export const rootSource = (/** @type {string} */ folder) => join(folder, 'openapi.yaml');
/**
 * The root source file beside `@qzz/spec`: there in a checkout of the repository, not in the published package
 * (it ships the bundle, not the source YAML), so a caller checks it exists before it relies on it.
 */
export const DEFAULT_SOURCES = rootSource(dirname(fileURLToPath(import.meta.resolve('@qzz/spec/coverage.yaml'))));
const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/**
 * The report's kinds as SARIF rules: what each means, and how much it weighs. A result of kind `type`,
 * `constraint`, `missing-field`, `not-json` or `missing-body` is an error (the spec says what the traffic breaks);
 * `undocumented-field`, `undocumented-status`, `unknown-route` and `unknown-action`, a warning (the traffic has
 * what the spec lacks).
 * @type {Record<string, { level: 'error' | 'warning', text: string }>}
 */
const RULES = {
  type: { level: 'error', text: "A value's JSON type is not the spec's." },
  constraint: { level: 'error', text: 'A value does not meet a const, pattern, enum or similar of the spec.' },
  'missing-field': { level: 'error', text: "A required field, or one the action's documented example carries, is absent." },
  'not-json': { level: 'error', text: 'A body the spec describes as JSON (or JSON text) is not.' },
  'missing-body': { level: 'error', text: 'The operation requires a body and there was none.' },
  'undocumented-field': { level: 'warning', text: 'A field the schema does not list.' },
  'undocumented-status': { level: 'warning', text: 'A status the operation does not document.' },
  'unknown-route': { level: 'warning', text: 'The spec has no operation for this method and path.' },
  'unknown-action': { level: 'warning', text: "The route is known, but no action's select values match the body." },
};

/**
 * Kinds that say nothing of the spec, left out of SARIF and counted in the run's `properties.omitted`: a body
 * that was not validated, and the count of discrepancies past the per-exchange list.
 */
const OMITTED = new Set(['not-validated', 'more-discrepancies']);

/**
 * @typedef {import('./report.js').ReportLine} ReportLine
 * @typedef {{ file: string, offset: number }} Spot a place in a source file
 * @typedef {{ file: string, node: any, key?: Spot }} Place a YAML node of a source file, and the key that names it
 */

/**
 * The SARIF 2.1.0 log of report lines. Lines of one discrepancy (its first line and its `repeat` lines) become one
 * result, with their `count` and `exchanges` summed. Locations are files relative to `root` and 1-based lines:
 * - a field's discrepancy: the line that names the field in the schema the pointer leads to for the line's
 *   action, direction and status (an undocumented field: the nearest enclosing field the schema has; the
 *   schema's own line when the pointer is the whole body);
 * - `undocumented-status`: the operation's `responses:`; `not-json` and `missing-body`: its `requestBody:` or
 *   the answer's status (so is any discrepancy of a whole answer); `unknown-action`: its `x-qzz-actions:` (where the action would be added);
 * - `unknown-route`: the root file's `paths:` (where the route would be added).
 * @param {Iterable<ReportLine>} lines
 * @param {{ spec?: string, sources?: string, root?: string }} [options] `spec`: the bundle the report was checked
 *   against; `sources`: its root source file (`spec/openapi.yaml`); `root`: what locations are relative to (by
 *   default the folder above the sources', the repository's root)
 */
export function toSarif(lines, { spec = DEFAULT_SPEC, sources = DEFAULT_SOURCES, root } = {}) {
  if (!existsSync(sources)) throw new Error(`SARIF needs the spec's source files: ${sources} is not there.`);
  const base = root ?? dirname(dirname(sources));
  const locator = createLocator(JSON.parse(readFileSync(spec, 'utf8')), sources);
  const { discrepancies, omitted } = foldLines(lines);
  const ruleIds = Object.keys(RULES);
  const results = [];
  for (const { line, count, exchanges } of discrepancies.values()) {
    const spot = locator.locate(line);
    const { line: startLine, col } = locator.position(spot);
    results.push({
      ruleId: line.kind,
      ruleIndex: ruleIds.indexOf(line.kind),
      level: RULES[line.kind].level,
      message: { text: describe(line, count, exchanges) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: relative(base, spot.file).split(sep).join('/'), uriBaseId: '%SRCROOT%' },
            region: { startLine, startColumn: col },
          },
        },
      ],
      partialFingerprints: { 'qzzDiscrepancy/v1': createHash('sha256').update(discrepancyKey(line)).digest('hex').slice(0, 32) },
      properties: {
        route: line.route,
        action: line.action,
        direction: line.direction,
        status: line.status,
        pattern: line.pattern,
        count,
        exchanges,
      },
    });
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'qzz-check',
            version: VERSION,
            rules: ruleIds.map((id) => ({
              id,
              shortDescription: { text: RULES[id].text },
              defaultConfiguration: { level: RULES[id].level },
            })),
          },
        },
        results,
        properties: { omitted },
      },
    ],
  };
}

/**
 * Report lines folded per discrepancy (the report's own key), counts summed; the omitted kinds counted.
 * @param {Iterable<ReportLine>} lines
 */
function foldLines(lines) {
  /** @type {Map<string, { line: ReportLine, count: number, exchanges: number }>} */
  const discrepancies = new Map();
  /** @type {Record<string, number>} */
  const omitted = {};
  for (const line of lines) {
    if (!Object.hasOwn(RULES, line.kind)) {
      if (OMITTED.has(line.kind)) omitted[line.kind] = (omitted[line.kind] ?? 0) + 1;
      continue;
    }
    const key = discrepancyKey(line);
    const known = discrepancies.get(key);
    if (known) {
      known.count += line.count;
      known.exchanges += line.exchanges ?? 1;
    } else discrepancies.set(key, { line, count: line.count, exchanges: line.exchanges ?? 1 });
  }
  return { discrepancies, omitted };
}

/** A result's message: the report line's words (types and shapes, as the report has them). */
function describe(line, count, exchanges) {
  const where = `${line.action ?? line.route} ${line.direction}${line.status ? ` ${line.status}` : ''} ${line.pattern || '/'}`;
  return `${where}: ${line.kind}: spec ${line.spec}; seen ${line.seen} (${count}× in ${exchanges} exchanges)`;
}

// ── Finding a line's place in the sources ────────────────────────────────────────────────────────────────────

/** How many `$ref`s one lookup follows in a row, and how many schema nodes a pointer's walk visits. */
const MAX_REFS = 32;
const MAX_VISITS = 5_000;

/**
 * @param {any} doc the bundle
 * @param {string} rootFile the spec's root source file
 */
function createLocator(doc, rootFile) {
  const specDir = dirname(rootFile);
  /** @type {Map<string, { doc: import('yaml').Document, lines: LineCounter }>} */
  const files = new Map();
  const load = (file) => {
    let loaded = files.get(file);
    if (!loaded) {
      const lines = new LineCounter();
      loaded = { doc: parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines }), lines };
      files.set(file, loaded);
    }
    return loaded;
  };
  const operations = new Map(listOperations(doc).map((o) => [`${o.method.toUpperCase()} ${o.wirePath}`, o]));
  const root = { file: rootFile, node: load(rootFile).doc.contents };

  /**
   * A place with its `$ref`s followed (within the spec's folder); the key that named it stays.
   * @param {Place} place
   * @returns {Place}
   */
  function deref(place) {
    let current = place;
    for (let hops = 0; hops < MAX_REFS; hops++) {
      const ref = scalarAt(current.node, '$ref');
      if (typeof ref !== 'string') return current;
      const [path, fragment = ''] = ref.split('#');
      const file = path ? resolve(dirname(current.file), path) : current.file;
      // A reference out of the spec's folder is not followed.
      if (relative(specDir, file).startsWith('..') || !existsSync(file)) return current;
      let node = load(file).doc.contents;
      for (const segment of fragment.split('/').slice(1)) node = childNode(node, unescapePointer(segment))?.node;
      if (!node) return current;
      current = { file, node, key: place.key };
    }
    return current;
  }

  /**
   * The deepest place a pointer's segments lead to in a schema, through `properties`, `items`, `allOf`, `oneOf`,
   * `anyOf` and `contentSchema` (JSON text in a text/plain body), and how many segments it took.
   * @param {Place} start
   * @param {string[]} segments
   */
  function walk(start, segments) {
    let visits = 0;
    /** @returns {{ place: Place, used: number }} */
    const step = (/** @type {Place} */ from, /** @type {number} */ at) => {
      const place = deref(from);
      /** @type {{ place: Place, used: number }} */
      let best = { place, used: at };
      if (at === segments.length || ++visits > MAX_VISITS) return best;
      const better = (/** @type {{ place: Place, used: number }} */ found) => {
        if (found.used > best.used) best = found;
      };
      const segment = segments[at];
      const content = childNode(place.node, 'contentSchema');
      if (content) better(step({ file: place.file, node: content.node, key: place.key }, at));
      const items = childNode(place.node, 'items');
      if (items && (segment === '*' || /^[0-9]+$/.test(segment)))
        better(step({ file: place.file, node: items.node, key: place.key }, at + 1));
      const property = childNode(childNode(place.node, 'properties')?.node, segment);
      if (property) better(step({ file: place.file, node: property.node, key: { file: place.file, offset: property.keyOffset } }, at + 1));
      for (const combinator of ['allOf', 'oneOf', 'anyOf']) {
        const branches = childNode(place.node, combinator)?.node;
        if (isSeq(branches)) for (const branch of branches.items) better(step({ file: place.file, node: branch, key: place.key }, at));
      }
      return best;
    };
    return step(start, 0);
  }

  /** The source place of a bundle pointer `#/components/schemas/Name`: the file the operation's `$ref`s reach by that name. */
  function componentPlace(/** @type {Place} */ operation, /** @type {string} */ pointer) {
    const name = pointer.split('/').pop();
    const seen = new Set();
    /** @type {Place[]} */
    const pending = [operation, { file: rootFile, node: childNode(childNode(root.node, 'components')?.node, 'schemas')?.node }];
    while (pending.length && seen.size < MAX_VISITS) {
      const place = /** @type {Place} */ (pending.shift());
      if (!place.node || seen.has(place.node)) continue;
      seen.add(place.node);
      const ref = scalarAt(place.node, '$ref');
      if (typeof ref === 'string' && ref.split('#')[0].split('/').pop() === `${name}.yaml`) {
        const target = deref(place);
        if (target !== place) return { file: target.file, node: target.node };
      }
      if (isMap(place.node) || isSeq(place.node))
        for (const item of /** @type {any[]} */ (place.node.items))
          pending.push({ file: place.file, node: isMap(place.node) ? item.value : item });
      if (typeof ref === 'string') pending.push(deref(place));
    }
    return undefined;
  }

  /**
   * Where a report line's discrepancy is written in the sources.
   * @param {ReportLine} line
   * @returns {Spot}
   */
  function locate(line) {
    const rootPaths = childNode(root.node, 'paths');
    const atRoot = { file: rootFile, offset: rootPaths?.keyOffset ?? 0 };
    const operation = operations.get(line.route);
    if (line.kind === 'unknown-route' || !operation) return atRoot;
    const pathItem = deref({ file: rootFile, node: childNode(rootPaths?.node, operation.path)?.node });
    const opNode = childNode(pathItem.node, operation.method);
    if (!opNode) return atRoot;
    const op = { file: pathItem.file, node: opNode.node, key: { file: pathItem.file, offset: opNode.keyOffset } };
    const keyOf = (name) => {
      const child = childNode(op.node, name);
      return child ? { file: op.file, offset: child.keyOffset } : /** @type {Spot} */ (op.key);
    };
    if (line.kind === 'unknown-action') return keyOf('x-qzz-actions');
    if (line.kind === 'undocumented-status') return keyOf('responses');
    if (line.direction === 'request' && (line.kind === 'missing-body' || line.kind === 'not-json' || !line.action))
      return keyOf('requestBody');
    const segments = line.pattern === '' ? [] : line.pattern.split('/').slice(1).map(unescapePointer);
    const action = operation.actions.find((/** @type {any} */ a) => a.name === line.action);
    return line.direction === 'request' ? requestSpot(op, action, segments) : responseSpot(op, action, line.status, segments);
  }

  /** A request field: in the action's request schema (the operation's request body when there is no action). */
  function requestSpot(/** @type {Place} */ op, /** @type {any} */ action, /** @type {string[]} */ segments) {
    const body = childNode(op.node, 'requestBody');
    const fallback = { file: op.file, offset: body?.keyOffset ?? /** @type {Spot} */ (op.key).offset };
    const schema = (action?.request && componentPlace(op, action.request)) ?? mediaSchema(op.file, body?.node);
    if (!schema) return fallback;
    return spotOf(walk(schema, segments), segments, fallback);
  }

  /** An answer field: `data`'s fields in the action's response schema, the envelope's in the status's schema. */
  function responseSpot(
    /** @type {Place} */ op,
    /** @type {any} */ action,
    /** @type {number | null} */ status,
    /** @type {string[]} */ segments,
  ) {
    const responses = childNode(op.node, 'responses');
    const answer = childNode(deref({ file: op.file, node: responses?.node }).node, String(status));
    const answerPlace = answer ? deref({ file: op.file, node: answer.node, key: { file: op.file, offset: answer.keyOffset } }) : undefined;
    const fallback = answerPlace?.key ?? { file: op.file, offset: responses?.keyOffset ?? /** @type {Spot} */ (op.key).offset };
    // The whole answer (not JSON, not an object): its status.
    if (!answerPlace || segments.length === 0) return fallback;
    const envelope = mediaSchema(answerPlace.file, answerPlace.node);
    if (segments[0] === 'data' && segments.length > 1 && action?.response) {
      const data = componentPlace(op, action.response);
      if (data) return spotOf(walk(data, segments.slice(1)), segments.slice(1), fallback);
    }
    if (!envelope) return fallback;
    return spotOf(walk(envelope, segments), segments, fallback);
  }

  /** The schema of a request body's or an answer's first media type. */
  function mediaSchema(/** @type {string} */ file, /** @type {any} */ node) {
    const place = deref({ file, node });
    const content = childNode(place.node, 'content')?.node;
    const media = isMap(content) ? content.items[0]?.value : undefined;
    const schema = childNode(media, 'schema');
    return schema ? { file: place.file, node: schema.node, key: { file: place.file, offset: schema.keyOffset } } : undefined;
  }

  /**
   * The line a walk ends on: the key that names the pointer's field; for a field the schema lacks, the
   * `properties:` of the deepest schema found (where it would be listed), else the key of its enclosing field;
   * else the start of the schema.
   * @param {{ place: Place, used: number }} found
   * @param {string[]} segments
   * @param {Spot} fallback
   * @returns {Spot}
   */
  function spotOf({ place, used }, segments, fallback) {
    const properties = used < segments.length ? childNode(place.node, 'properties') : undefined;
    if (properties) return { file: place.file, offset: properties.keyOffset };
    return place.key ?? (place.node?.range ? { file: place.file, offset: place.node.range[0] } : fallback);
  }

  return {
    locate,
    /** 1-based line and column of a spot. @param {Spot} spot */
    position: (spot) => load(spot.file).lines.linePos(spot.offset),
  };
}

/**
 * A map's entry by key: its value node and where its key is written.
 * @param {any} node
 * @param {string} key
 * @returns {{ node: any, keyOffset: number } | undefined}
 */
function childNode(node, key) {
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (isScalar(pair.key) && String(pair.key.value) === key) return { node: pair.value, keyOffset: pair.key.range?.[0] ?? 0 };
  }
  return undefined;
}

/** A map's scalar value by key. */
function scalarAt(node, key) {
  const child = childNode(node, key)?.node;
  return isScalar(child) ? child.value : undefined;
}
