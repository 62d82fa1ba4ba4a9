// The sandbox's rules, read from the bundle: which actions store, audit, push or read bills, what the vendor's
// examples show about the bills they name, and how a push draft links to its source. Nothing here names an
// action, a form or an example value: an action added to the spec joins these rules with no new code.
// Each rule and the evidence it rests on is listed in the package README ("Sandbox rules").
import { isObject, listActions, resolvePointer } from '@qzz/spec/actions';
import { schemaValidator } from '@qzz/spec/validate';

/**
 * @typedef {{ id: string, billno: string, form: string | null, schema: string | null, data: Record<string, unknown> | null }} Bill
 *   `form`: the bill's form id where known; `schema`: the component name of the schema a read answers it with
 *   (a bill seeded from a get's example); `data`: its fields (null: a bill the examples name but never show).
 */

/** The last segment of a JSON pointer: a component's name. */
const componentName = (pointer) => String(pointer).slice(String(pointer).lastIndexOf('/') + 1);
const clone = (value) => (value === undefined ? undefined : structuredClone(value));
/** An id that names a bill: not empty, not the vendor's "0" (no record). */
const namesBill = (id) => typeof id === 'string' && id !== '' && id !== '0';

/** A JSON text body (the text/plain endpoints) parsed; anything else as it is. */
const parsed = (value) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
};

/** The bill a save or audit request carries: `billdata`, or `params.datainfo` (the process save's wrapper). */
const billOf = (body) => (isObject(body?.billdata) ? body.billdata : isObject(body?.params?.datainfo) ? body.params.datainfo : undefined);

/** The operation a request asks for: `operation`, or `params.operate`. */
const operationOf = (body) => body?.operation ?? body?.params?.operate;

/** The source bill a push names: `billdata.id`, or `billid` (the push_transfer actions, which carry no billdata). */
const sourceIdOf = (body) => (isObject(body?.billdata) ? body.billdata.id : body?.billid);

/** The form id a request names: its action's selector or its body (`formid`/`formId`), else the bill's own type. */
function formOf(action, body) {
  const named = [action.select?.formid, action.select?.formId, body?.formid, body?.formId, billOf(body)?.billtypeid_number];
  return named.find((f) => typeof f === 'string' && f !== '') ?? null;
}

/** The first value of `key` anywhere in `value` (depth first). */
function findKey(value, key) {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findKey(item, key);
      if (found !== undefined) return found;
    }
  } else if (isObject(value)) {
    if (key in value) return value[key];
    for (const item of Object.values(value)) {
      const found = findKey(item, key);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Every `[form id, bill number]` the examples show: a bill's own (`billtypeid_number` + `billno`) and a link's source (`srcbilltypeid_number` + `srcbillno`). */
function billNumbersShown(value, out = []) {
  if (Array.isArray(value)) for (const item of value) billNumbersShown(item, out);
  else if (isObject(value)) {
    if (typeof value.billtypeid_number === 'string' && typeof value.billno === 'string') out.push([value.billtypeid_number, value.billno]);
    if (typeof value.srcbilltypeid_number === 'string' && typeof value.srcbillno === 'string')
      out.push([value.srcbilltypeid_number, value.srcbillno]);
    for (const item of Object.values(value)) billNumbersShown(item, out);
  }
  return out;
}

/** The vendor's bill-number shape, `GDZX-20230306-0001`: a prefix, the date, a 4-digit sequence. */
export const BILLNO_SHAPE = /^([A-Z]+)-([0-9]{8})-([0-9]{4,})$/;
/** The prefix for a form no example shows a bill number of (see the README). */
const UNKNOWN_FORM_PREFIX = 'SBX';

/** Fields a push draft never takes from its source: the seed example shows them as the draft's own. */
const isOwnField = (key) => key === 'id' || key === 'billno' || key === 'billstatus' || key === 'billdate' || key.startsWith('billtypeid_');

/**
 * The actions of the bundle with what their examples show: the request example's value, the response example's
 * `data`, and its envelope (`{success, reachPlugin, errorCode}`).
 */
function actionsWithExamples(doc) {
  const examples = doc.components?.examples ?? {};
  const exampleValue = (name) => (name ? parsed(clone(examples[name]?.value)) : undefined);
  const envelopeOf = (value) => (isObject(value) ? Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'data')) : undefined);
  return listActions(doc).map((action) => {
    const response = exampleValue(action.examples?.response);
    return { ...action, request: exampleValue(action.examples?.request), responseData: response?.data, envelope: envelopeOf(response) };
  });
}

/** Bill-number prefixes per form, from every example that shows a form's bill number. */
function billNumberPrefixes(doc) {
  const prefixes = new Map();
  for (const [form, billno] of billNumbersShown(Object.values(doc.components?.examples ?? {}).map((e) => parsed(e.value)))) {
    const match = BILLNO_SHAPE.exec(billno);
    if (match && !prefixes.has(form)) prefixes.set(form, match[1]);
  }
  return prefixes;
}

/**
 * The bills the vendor's examples show: every push's source, every get's subject (one bill per id, the fields
 * of each mention merged). `byId` finds the example bill a push's example names.
 * @param {ReturnType<typeof actionsWithExamples>} actions
 * @param {(action: any) => unknown} exampleDataFor
 */
function billsShownByExamples(actions, exampleDataFor) {
  /** @type {Bill[]} */
  const bills = [];
  /** @type {Map<string, Bill>} */
  const byId = new Map();
  const add = (/** @type {Bill} */ bill) => {
    const held = byId.get(bill.id);
    if (held) Object.assign(held, Object.fromEntries(Object.entries(bill).filter(([, v]) => v !== null && v !== '')));
    else {
      byId.set(bill.id, bill);
      bills.push(bill);
    }
  };
  for (const action of actions) {
    if (action.kind === 'push') {
      const id = sourceIdOf(action.request);
      if (!namesBill(id)) continue;
      // The seed's draft names its source's bill number in `srcbillno`: the one place the examples show it.
      const billno = findKey(action.responseData, 'srcbillno');
      add({ id, billno: typeof billno === 'string' ? billno : '', form: action.from ?? null, schema: null, data: null });
    } else if (action.kind === 'query' && namesBill(action.request?.id)) {
      const data = exampleDataFor(action);
      if (isObject(data) && 'id' in data) data.id = action.request.id;
      const billno = isObject(data) && typeof data.billno === 'string' ? data.billno : '';
      add({ id: action.request.id, billno, form: null, schema: componentName(action.response), data: isObject(data) ? data : null });
    }
  }
  return { bills, byId };
}

/**
 * The form of the bills each schema answers, from the pushes: a push's `to` form comes back in its response
 * schema (`SparePartsUseBill` is a `mxoc_pq_sparepartsuse` bill). A schema pushes to two forms names neither.
 * @returns {Map<string, string | null>}
 */
function formsOfSchemas(actions) {
  const forms = new Map();
  for (const action of actions) {
    if (action.kind !== 'push' || typeof action.to !== 'string') continue;
    const known = forms.get(action.response);
    forms.set(action.response, known === undefined || known === action.to ? action.to : null);
  }
  return forms;
}

/**
 * What the sandbox does with an accepted request of `action`: `save` (store a new bill), `audit` (a held bill,
 * unchanged), `push` (a draft from a held source), `get` (a held bill by id), `list` (the held bills of a form), or
 * `stateless` (no bill involved: the stateless answer stands).
 * @param {Map<string, string | null>} formOfSchema
 */
function planOf(action, body, formOfSchema) {
  const operation = operationOf(body);
  if (action.kind === 'save' || (action.kind === 'save-audit' && operation !== 'audit')) {
    return { do: 'save', form: formOf(action, body), bill: billOf(body) ?? {}, example: billOf(action.request) ?? {} };
  }
  if (action.kind === 'audit' || action.kind === 'save-audit') return { do: 'audit', id: billOf(body)?.id };
  if (action.kind === 'push') return { do: 'push', id: sourceIdOf(body) };
  if (action.kind === 'query' && body?.id !== undefined) {
    const form = formOf(action, body) ?? formOfSchema.get(action.response) ?? null;
    return { do: 'get', id: body.id, schema: componentName(action.response), form };
  }
  // A list is the answer of a query that a form id selects (the in-stock query), never of a read by id whose
  // body happens to name a form: its answer is one bill.
  if (action.kind === 'query' && (action.select?.formId ?? action.select?.formid)) return { do: 'list', form: formOf(action, body) };
  return { do: 'stateless' };
}

/** Checks of values against the bundle's schemas, each compiled once. */
function schemaChecks(doc) {
  const validator = schemaValidator(doc);
  const compiled = new Map();
  const check = (pointer) => {
    if (!compiled.has(pointer)) compiled.set(pointer, validator.compile(pointer));
    return compiled.get(pointer);
  };
  return {
    /** True when `value` fits the property `key` of the schema at `pointer` (a field a draft may carry over). */
    fitsProperty(pointer, key, value) {
      const schema = resolvePointer(doc, pointer);
      if (!isObject(schema?.properties) || !(key in schema.properties)) return false;
      return check(`${pointer}/properties/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`)(value);
    },
    /** True when `value` fits the schema at `pointer`. */
    fits: (pointer, value) => check(pointer)(value),
  };
}

/**
 * `data` cut to what fits the response schema of `action`: the top-level fields that fit the schema's field of
 * that name (or, for a name it lacks, any the schema allows), or undefined when even that does not fit.
 * @param {ReturnType<typeof schemaChecks>} checks
 */
function fitted(doc, checks, action, data) {
  const schema = resolvePointer(doc, action.response);
  const fitting = !isObject(data)
    ? data
    : Object.fromEntries(
        Object.entries(data).filter(([key, value]) =>
          isObject(schema?.properties) && key in schema.properties
            ? checks.fitsProperty(action.response, key, value)
            : schema?.additionalProperties !== false && schema?.unevaluatedProperties !== false,
        ),
      );
  return checks.fits(action.response, fitting) ? fitting : undefined;
}

/**
 * The draft a push answers: the action's example (else the stateless answer's data) with every value that names
 * the example's source renamed to `source`, the link fields pointed at it, and the source's scalar fields the
 * target schema shares carried over.
 * @param {ReturnType<typeof schemaChecks>} checks
 * @param {Map<string, Bill>} exampleBillsById
 * @param {Bill} source
 */
function draftOf(checks, exampleBillsById, action, source, statelessData) {
  const draft = action.responseData !== undefined ? clone(action.responseData) : clone(statelessData);
  if (!isObject(draft)) return draft;
  const exampleSource = exampleBillsById.get(sourceIdOf(action.request));
  const renames = new Map();
  if (exampleSource) {
    renames.set(exampleSource.id, source.id);
    if (exampleSource.billno) renames.set(exampleSource.billno, source.billno);
  }
  relink(draft, renames, source);
  for (const [key, value] of Object.entries(source.data ?? {})) {
    if (isOwnField(key) || isObject(value) || Array.isArray(value)) continue;
    if (checks.fitsProperty(action.response, key, value)) draft[key] = value;
  }
  return draft;
}

/**
 * The sandbox's rules for one bundle.
 * @param {any} doc the bundle (`@qzz/spec/openapi.json`)
 */
export function sandboxRules(doc) {
  const examples = doc.components?.examples ?? {};
  const isPartial = (name) => examples[name]?.['x-qzz-evidence'] !== undefined;
  const actions = actionsWithExamples(doc);
  // Answers of actions with no response example wear the envelope of a complete one (the seed's).
  const completeEnvelope = actions.find((a) => a.envelope?.success === true && !isPartial(a.examples.response))?.envelope ?? {
    success: true,
  };
  /** The example `data` a schema's bills are filled from: this action's own, else a complete one of the same schema. */
  const exampleDataFor = (action) => {
    if (action.responseData !== undefined) return clone(action.responseData);
    const same = actions.filter((a) => a.response === action.response && a.responseData !== undefined);
    const best = same.find((a) => !isPartial(a.examples.response)) ?? same[0];
    return clone(best?.responseData);
  };
  const prefixes = billNumberPrefixes(doc);
  const exampleBills = billsShownByExamples(actions, exampleDataFor);
  const formOfSchema = formsOfSchemas(actions);
  const checks = schemaChecks(doc);

  return {
    actions: new Map(actions.map((a) => [a.name, a])),
    /** A success answer of `action` carrying `data`, in the envelope its example shows. */
    success: (action, data) => ({ ...(action.envelope ?? completeEnvelope), data }),
    exampleBills: exampleBills.bills,
    /** The bill-number prefix of a form (`GDZX`), or the sandbox's own for a form no example shows. */
    prefixOf: (form) => (form && prefixes.get(form)) || UNKNOWN_FORM_PREFIX,
    planOf: (action, body) => planOf(action, body, formOfSchema),
    fitted: (action, data) => fitted(doc, checks, action, data),
    /** @param {Bill} source */
    draftOf: (action, source, statelessData) => draftOf(checks, exampleBills.byId, action, source, statelessData),
  };
}

/** Points a draft at its source, in place: renamed example values, link ids (`*_lk_sbillid`, `*_lk_sid`) and `srcbillno`. */
function relink(value, renames, source) {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (typeof item === 'string' && renames.has(item)) value[i] = renames.get(item);
      else relink(item, renames, source);
    });
    return;
  }
  if (!isObject(value)) return;
  for (const [key, item] of Object.entries(value)) {
    if (key.endsWith('_lk_sbillid') || key.endsWith('_lk_sid')) value[key] = source.id;
    else if (key === 'srcbillno') value[key] = source.billno;
    else if (typeof item === 'string' && renames.has(item)) value[key] = renames.get(item);
    else relink(item, renames, source);
  }
}
