// @ts-check
// English beside the vendor's Chinese, applied at bundle time from one glossary (spec/labels/en.yaml), so the
// sources keep the vendor's words as they are and every occurrence of a label gets the same English.

const CJK = /^[\u3400-\u9fff]/;

/**
 * Splits a description that starts with the vendor's Chinese label into the label and the rest (a gloss or
 * note in English). The label ends before ` — `, `. `, or a parenthesis holding English (`(table: …)`, but not
 * `(id)`, which is part of labels like `单位 (id)`). Undefined when the description does not start with one.
 * @param {string} description
 * @returns {{ label: string, rest: string } | undefined}
 */
export function splitLabel(description) {
  if (!CJK.test(description)) return undefined;
  const match = /^(.+?)(?= — |\. | \((?!id\))(?=[^)]*[A-Za-z])|\.?$)/s.exec(description);
  if (!match) return undefined;
  return { label: match[1], rest: description.slice(match[1].length) };
}

/** `label · English` and the rest, without a parenthesised gloss's words that only repeat the English. */
function withEnglish(/** @type {string} */ label, /** @type {string} */ english, /** @type {string} */ rest) {
  const lower = rest.toLowerCase();
  const gloss = ` (${english.toLowerCase()}`;
  let kept = rest;
  if (lower.startsWith(`${gloss})`)) kept = rest.slice(gloss.length + 1);
  else if (lower.startsWith(`${gloss}, `)) kept = ` (${rest.slice(gloss.length + 2)}`;
  return `${label} · ${english}${kept}`;
}

const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const SCHEMA_ONE = [
  'items',
  'additionalProperties',
  'not',
  'contains',
  'contentSchema',
  'if',
  'then',
  'else',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

/**
 * Every object of the document that carries a description the reader sees: schemas (deeply), parameters,
 * request bodies, responses and media types. Examples are values, not descriptions, and are left alone.
 * @param {any} doc
 * @param {(node: any) => void} visit
 */
export function visitDescribed(doc, visit) {
  const schema = (/** @type {any} */ s) => {
    if (!s || typeof s !== 'object') return;
    visit(s);
    for (const key of SCHEMA_MAPS) for (const sub of Object.values(s[key] ?? {})) schema(sub);
    for (const key of SCHEMA_ONE) schema(s[key]);
    for (const key of SCHEMA_LISTS) for (const sub of s[key] ?? []) schema(sub);
  };
  const content = (/** @type {any} */ c) => {
    for (const media of Object.values(c ?? {})) schema(/** @type {any} */ (media)?.schema);
  };
  const parameter = (/** @type {any} */ p) => {
    if (!p || typeof p !== 'object') return;
    visit(p);
    schema(p.schema);
  };
  const response = (/** @type {any} */ r) => {
    if (!r || typeof r !== 'object') return;
    visit(r);
    content(r.content);
    for (const header of Object.values(r.headers ?? {})) parameter(header);
  };
  for (const s of Object.values(doc.components?.schemas ?? {})) schema(s);
  for (const p of Object.values(doc.components?.parameters ?? {})) parameter(p);
  for (const r of Object.values(doc.components?.responses ?? {})) response(r);
  for (const item of Object.values(doc.paths ?? {})) {
    for (const p of /** @type {any} */ (item).parameters ?? []) parameter(p);
    for (const operation of Object.values(/** @type {any} */ (item))) {
      if (!operation || typeof operation !== 'object' || Array.isArray(operation)) continue;
      for (const p of operation.parameters ?? []) parameter(p);
      if (operation.requestBody) {
        visit(operation.requestBody);
        content(operation.requestBody.content);
      }
      for (const r of Object.values(operation.responses ?? {})) response(r);
    }
  }
}

/**
 * Adds the English of the glossary to `doc` (in place): `label · English` at the start of every description
 * that starts with a vendor label; `titles · English titles` on every operation whose summary is the vendor's
 * (its actions' titles joined with 、); and the titles' English, by Chinese title, as `x-qzz-titles-en`.
 * What the glossary lacks stays Chinese only and is returned (the bundle still builds; the spec's tests fail).
 * @param {any} doc
 * @param {{ labels: Record<string, string>, titles: Record<string, string> }} glossary
 * @returns {string[]} the labels and titles without an entry, and the summaries that are not their titles
 */
export function applyEnglish(doc, glossary) {
  /** @type {Set<string>} */
  const problems = new Set();
  visitDescribed(doc, (node) => {
    const split = typeof node.description === 'string' ? splitLabel(node.description) : undefined;
    if (!split) return;
    if (Object.hasOwn(glossary.labels, split.label)) node.description = withEnglish(split.label, glossary.labels[split.label], split.rest);
    else problems.add(`label ${split.label}`);
  });
  /** @type {Record<string, string>} */
  const titlesEn = {};
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(/** @type {any} */ (item))) {
      const actions = operation?.['x-qzz-actions'];
      if (!actions || !CJK.test(operation.summary)) continue;
      const titles = actions.map((/** @type {any} */ a) => a.summary);
      const missing = titles.filter((/** @type {string} */ t) => !Object.hasOwn(glossary.titles, t));
      for (const title of missing) problems.add(`title ${title}`);
      if (operation.summary !== titles.join('、'))
        problems.add(`summary of ${operation.operationId} (not its actions' titles joined with 、)`);
      if (missing.length || operation.summary !== titles.join('、')) continue;
      for (const title of titles) titlesEn[title] = glossary.titles[title];
      operation.summary = `${operation.summary} · ${titles.map((/** @type {string} */ t) => titlesEn[t]).join('; ')}`;
    }
  }
  doc['x-qzz-titles-en'] = titlesEn;
  return [...problems];
}
