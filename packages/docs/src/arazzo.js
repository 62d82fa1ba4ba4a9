// @ts-check
// The bill flows as Arazzo 1.0 workflows, generated from the bundle at build time and served with the docs site:
// for each bill that a save stores and a push takes down (the actions' kinds, and the bills the push actions name
// by form id and title, as the Bill flow page draws them), save → push → read back where the spec has a read.
// test/arazzo.test.js lints them and runs them with Redocly Respect against the mock's sandbox.
import { applySelect, deref, isObject, listActions, resolvePointer } from '@qzz/spec/actions';
import { billGraph, sameBillName } from './billflow.js';
import { titleOf } from './compose.js';

export const ARAZZO_FILE = 'qzz.arazzo.yaml';
/** The source description's name: Respect's `--server qzz=<url>` points the workflows at a server. */
export const SOURCE_NAME = 'qzz';

const SAVE = '保存';

/** The bill a save action's vendor title names (「收料通知单保存/审核」 → 收料通知单); undefined when it names none. */
export function savedBillName(/** @type {string} */ summary) {
  const at = summary.indexOf(SAVE);
  return at > 0 ? summary.slice(0, at).trim() : undefined;
}

/**
 * @typedef {ReturnType<typeof listActions>[number]} Action
 * @typedef {{ bill: string, save: Action, push: Action, read: Action | undefined }} BillFlow
 */

/** True when an action's request takes a bill's `id` (a read by id). */
const takesId = (/** @type {any} */ doc, /** @type {Action} */ action) => 'id' in (resolvePointer(doc, action.request)?.properties ?? {});

/**
 * The bill flows of the spec: each save whose bill (named by its title) is the source of a push, with the read that
 * answers the push's target (its response schema), where the spec has one.
 * @param {any} doc the bundle
 * @returns {BillFlow[]}
 */
export function billFlows(doc) {
  const actions = listActions(doc);
  const { edges } = billGraph(actions);
  /** @type {BillFlow[]} */
  const flows = [];
  for (const save of actions.filter((a) => a.kind === 'save' || a.kind === 'save-audit')) {
    const bill = savedBillName(save.summary);
    if (!bill) continue;
    for (const { action: push, from } of edges) {
      if (!from.names.some((/** @type {string} */ name) => sameBillName(name, bill))) continue;
      // A save that selects its form by id saves that form only.
      if (save.select.formid && push.from && save.select.formid !== push.from) continue;
      const read = actions.find((a) => a.kind === 'query' && a.response === push.response && takesId(doc, a));
      flows.push({ bill, save, push, read });
    }
  }
  return flows;
}

// ---- Steps -------------------------------------------------------------------------------------------------

/** The media type an action's route takes, and its documented request as a value. */
function documentedRequest(/** @type {any} */ doc, /** @type {Action} */ action) {
  const [contentType, media] = Object.entries(doc.paths[action.path][action.method].requestBody.content)[0];
  const example = deref(doc, /** @type {any} */ (media).examples?.[action.examples.request])?.value;
  const value = typeof example === 'string' ? JSON.parse(example) : example;
  return { contentType, value: applySelect(action.select, value) };
}

/** `value` with every string equal to `from` replaced by `to` (deeply). */
function replaced(/** @type {unknown} */ value, /** @type {string} */ from, /** @type {string} */ to) {
  if (Array.isArray(value)) return value.map((v) => replaced(v, from, to));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaced(v, from, to)]));
  return value === from ? to : value;
}

/** The source bill's id in a push request: `billdata.id`, or `billid` (the push_transfer actions). */
const sourceIdOf = (/** @type {any} */ body) => (isObject(body?.billdata) ? body.billdata.id : body?.billid);

/** The four gateway values as step parameters, from the bundle's security requirement and the workflow's inputs. */
function credentialParameters(/** @type {any} */ doc) {
  return Object.keys(doc.security[0]).map((key) => {
    const scheme = doc.components.securitySchemes[key];
    return { name: scheme.name, in: scheme.in, value: `$inputs.${key}` };
  });
}

/** The fields of `id` and `billno` an action's data schema has, as step outputs. */
function billOutputs(/** @type {any} */ doc, /** @type {Action} */ action) {
  const properties = resolvePointer(doc, action.response)?.properties ?? {};
  return Object.fromEntries(['id', 'billno'].filter((k) => k in properties).map((k) => [k, `$response.body#/data/${k}`]));
}

const SUCCESS = [{ condition: '$statusCode == 200' }, { condition: '$response.body#/success == true' }];

function step(
  /** @type {any} */ doc,
  /** @type {string} */ stepId,
  /** @type {Action} */ action,
  /** @type {unknown} */ payload,
  outputs = {},
) {
  const { contentType } = documentedRequest(doc, action);
  return {
    stepId,
    description: `${titleOf(doc, action)} (\`${action.name}\`)`,
    operationId: `$sourceDescriptions.${SOURCE_NAME}.${action.operationId}`,
    parameters: credentialParameters(doc),
    requestBody: { contentType, payload },
    successCriteria: SUCCESS,
    ...(Object.keys(outputs).length ? { outputs } : {}),
  };
}

/** Why a step is left out: Respect sends a step output only inside a JSON body. */
const textPlainReason = (/** @type {Action} */ action, /** @type {string} */ what) =>
  `\`${action.name}\` is not a step: it takes ${what} as JSON text in a \`text/plain\` body, and Respect cannot put a step's output into a \`text/plain\` body. The mock's sandbox tests (packages/mock/test/sandbox.test.js) read a saved bill back with it.`;

/** One bill flow as a workflow: save → push (→ read), each step's id carried into the next. */
function workflowOf(/** @type {any} */ doc, /** @type {BillFlow} */ flow) {
  const { save, push, read } = flow;
  const notes = [];

  const saved = documentedRequest(doc, save);
  // The save stores a bill of the push's source form: where the save's request takes a free `formid`, it names it.
  const formid = resolvePointer(doc, save.request)?.properties?.formid;
  if (push.from && formid && formid.const === undefined && !save.select.formid) saved.value = { ...saved.value, formid: push.from };
  if (resolvePointer(doc, save.response)?.['x-qzz-evidence'] === 'none') {
    notes.push(
      `The vendor documents no answer of \`${save.name}\` (its data is \`${save.response.split('/').at(-1)}\`): the push takes the saved bill's id from the answer's \`data.id\`, as the mock's sandbox answers a save. Against the gateway, check what a save answers first.`,
    );
  }
  const steps = [step(doc, 'save', save, saved.value, { id: '$response.body#/data/id', billno: '$response.body#/data/billno' })];

  const pushed = documentedRequest(doc, push);
  if (pushed.contentType === 'text/plain') {
    notes.push(textPlainReason(push, 'the saved bill'));
  } else {
    const sourceId = sourceIdOf(pushed.value);
    steps.push(step(doc, 'push', push, replaced(pushed.value, sourceId, '$steps.save.outputs.id'), billOutputs(doc, push)));
    if (read) notes.push(...readStep(doc, read, steps));
  }
  return {
    workflowId: `${save.name}-${push.name}`,
    summary: `${flow.bill}: ${titleOf(doc, save)} → ${titleOf(doc, push)}`,
    description: [
      `Saves a ${flow.bill} bill with \`${save.name}\`${push.from ? ` (form \`${push.from}\`)` : ''} and pushes it down with \`${push.name}\`${push.to ? ` into form \`${push.to}\`` : ''}; each step passes the saved bill's id on.`,
      `Inputs: the account set's four gateway values. The server: the source description's (${doc.servers[0].url}); run it elsewhere with \`--server ${SOURCE_NAME}=<base URL>\` (Respect resolves a step's server before the workflow's inputs exist).`,
      ...notes,
    ].join('\n\n'),
    inputs: {
      type: 'object',
      required: Object.keys(doc.security[0]),
      properties: Object.fromEntries(
        Object.keys(doc.security[0]).map((key) => [key, { type: 'string', description: doc.components.securitySchemes[key].description }]),
      ),
    },
    steps,
    outputs: Object.fromEntries(
      steps.flatMap((s) =>
        Object.keys(s.outputs ?? {}).map((k) => [`${s.stepId}${k[0].toUpperCase()}${k.slice(1)}`, `$steps.${s.stepId}.outputs.${k}`]),
      ),
    ),
  };
}

/** The read-back step after a push, or why it is left out. */
function readStep(/** @type {any} */ doc, /** @type {Action} */ read, /** @type {any[]} */ steps) {
  const asked = documentedRequest(doc, read);
  if (asked.contentType === 'text/plain') return [textPlainReason(read, "the pushed bill's id")];
  steps.push(step(doc, 'read', read, { ...asked.value, id: '$steps.push.outputs.id' }, billOutputs(doc, read)));
  return [];
}

/**
 * The Arazzo document of the bill flows.
 * @param {any} doc the bundle
 * @param {string} sourceUrl where the OpenAPI document is, relative to the Arazzo file (the site's `openapi.json`)
 */
export function arazzoDocument(doc, sourceUrl) {
  return {
    arazzo: '1.0.1',
    info: {
      title: `${doc.info.title}: bill flows`,
      version: doc.info.version,
      description:
        "Generated from the spec: for each bill that a save stores and a push takes down, save → push (→ read back where the spec has a read). Run them with `redocly respect` against the mock's sandbox (`pnpm mock --sandbox`).",
    },
    sourceDescriptions: [{ name: SOURCE_NAME, url: sourceUrl, type: 'openapi' }],
    workflows: billFlows(doc).map((flow) => workflowOf(doc, flow)),
  };
}
