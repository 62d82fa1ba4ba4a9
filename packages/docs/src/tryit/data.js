// @ts-check
// What the Try it panel of each operation needs, computed at build time from the bundle and embedded in the
// page as JSON (src/tryit/build.js): the route, how its calls are authorised, and per action its title, the
// body values that select it and the documented request example as the wire body (as the curl sample sends
// it, src/samples.js). Everything else (the checker, the schemas) is loaded when the reader presses Send.
import { deref, listOperations } from '@qzz/spec/actions';
import { requestOf } from '../samples.js';

/**
 * @typedef {{ name: string, title: string, select: Record<string, unknown>, body?: string, query?: Record<string, unknown> }} TryAction
 * @typedef {{ method: string, path: string, signed: boolean, contentType?: string, actions: TryAction[] }} TryOperation
 */

/**
 * The Try it data of every operation, by operationId in lower case (as Redoc's section ids spell it).
 * @param {any} doc the bundle
 * @param {(action: any) => string} titleOf
 * @returns {Record<string, TryOperation>}
 */
export function tryItData(doc, titleOf) {
  /** @type {Record<string, TryOperation>} */
  const out = {};
  for (const { wirePath, method, operation, signed, actions } of listOperations(doc)) {
    const media = Object.entries(operation.requestBody?.content ?? {})[0];
    out[String(operation.operationId).toLowerCase()] = {
      method: method.toUpperCase(),
      path: wirePath,
      signed,
      ...(media && { contentType: media[0] }),
      actions: actions.map((action) => {
        const request = requestOf(doc, operation, action, signed);
        /** @type {TryAction} */
        const entry = { name: action.name, title: titleOf(action), select: action.select };
        if (!signed) return { ...entry, body: request.body };
        // The gateway's own calls: their query (a value the sample reads from the environment is null here,
        // and the page fills it from the reader's fields) and, for the one with a body, its example.
        const example = media && deref(doc, media[1].examples?.[action.examples.request]);
        return { ...entry, query: request.input, ...(example && { body: JSON.stringify(example.value, null, 2) }) };
      }),
    };
  }
  return out;
}
