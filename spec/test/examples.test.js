// Every example in the bundle validates against the schema it illustrates (ajv, JSON Schema 2020-12).
// Redocly checks media-type examples too; this suite also checks each action's example against the action's
// own schema, the text/plain bodies through their contentSchema, and parameter examples.
import { describe, expect, it } from 'vitest';
import { deref, listActions, listOperations } from '../lib/actions.js';
import { loadBundle, schemaValidator, validateMedia } from './helpers.js';

const doc = loadBundle();
const validator = schemaValidator(doc);

function mediaExamples() {
  const cases = [];
  for (const { method, path, operation } of listOperations(doc)) {
    const bodies = [['request', deref(doc, operation.requestBody)?.content]];
    for (const [status, response] of Object.entries(operation.responses)) bodies.push([`response ${status}`, deref(doc, response).content]);
    for (const [where, content] of bodies) {
      for (const [type, media] of Object.entries(content ?? {})) {
        for (const [name, example] of Object.entries(media.examples ?? {})) {
          cases.push({
            label: `${method.toUpperCase()} ${path} ${where} ${type} ${name}`,
            schema: media.schema,
            value: deref(doc, example).value,
          });
        }
      }
    }
    for (const parameter of (operation.parameters ?? []).map((parameter) => deref(doc, parameter))) {
      for (const [name, example] of Object.entries(parameter.examples ?? {})) {
        cases.push({
          label: `${method.toUpperCase()} ${path} parameter ${parameter.name} ${name}`,
          schema: parameter.schema,
          value: deref(doc, example).value,
        });
      }
    }
  }
  return cases;
}

describe('examples', () => {
  const cases = mediaExamples();

  it('covers every named example of the bundle', () => {
    const used = new Set(cases.map((c) => c.label.split(' ').at(-1)));
    for (const name of Object.keys(doc.components.examples)) expect(used, name).toContain(name);
  });

  it.each(cases.map((c) => [c.label, c]))('%s validates against its schema', (_label, { schema, value }) => {
    expect(validateMedia(validator, schema, value)).toEqual([]);
  });

  const actions = listActions(doc);
  const bodyExample = (action) => {
    const content = deref(doc, doc.paths[action.path][action.method].requestBody)?.content ?? {};
    const [type, media] = Object.entries(content)[0] ?? [];
    const example = media?.examples?.[action.examples.request];
    return example && { type, value: deref(doc, example).value };
  };

  it.each(actions.filter(bodyExample).map((a) => [a.name, a]))(
    "%s: its request example validates against the action's own request schema",
    (_name, action) => {
      const { type, value } = bodyExample(action);
      const body = type === 'text/plain' ? JSON.parse(value) : value;
      const validate = validator.compile(action.request);
      expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    },
  );

  it.each(actions.filter((a) => a.examples.response).map((a) => [a.name, a]))(
    "%s: its response example's data validates against the action's response schema",
    (_name, action) => {
      const media = doc.paths[action.path][action.method].responses['200'].content['application/json'];
      const envelope = deref(doc, media.examples[action.examples.response]).value;
      expect(envelope.success).toBe(true);
      const validate = validator.compile(action.response);
      expect(validate(envelope.data), JSON.stringify(validate.errors)).toBe(true);
    },
  );
});
