// Validating payloads against the bundle's schemas with ajv (JSON Schema 2020-12), for tests across the packages.
// The named export: under NodeNext the default import types as the CommonJS module object, not the class.
import { Ajv2020 } from 'ajv/dist/2020.js';

const BASE = 'https://qzz.invalid/openapi.json';
// The bundle's pointers (#/components/schemas/X) rewritten to point into one registered schema's $defs.
const rebase = (schema) => JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/components/schemas/', `"$ref":"${BASE}#/$defs/`));

/**
 * An ajv (JSON Schema 2020-12) that knows the bundle's components: compile a schema object or a
 * `#/components/schemas/…` pointer and validate with it.
 */
export function schemaValidator(doc) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  ajv.addKeyword({ keyword: 'x-qzz-evidence', schemaType: 'string' });
  // `x-qzz-label: none` marks a field the vendor's page gives no label (annotation only).
  ajv.addKeyword({ keyword: 'x-qzz-label', schemaType: 'string' });
  ajv.addSchema({ $id: BASE, $defs: rebase(doc.components.schemas) });
  const cache = new Map();
  return {
    compile(schemaOrPointer) {
      const key = typeof schemaOrPointer === 'string' ? schemaOrPointer : JSON.stringify(schemaOrPointer);
      if (!cache.has(key)) {
        const schema = typeof schemaOrPointer === 'string' ? rebase({ $ref: schemaOrPointer }) : rebase(schemaOrPointer);
        cache.set(key, ajv.compile(schema));
      }
      return cache.get(key);
    },
  };
}

/** Validates `value` against a media type's schema and lists what is wrong (nothing when valid); a text/plain JSON body is parsed and checked against its contentSchema. */
export function validateMedia(validator, schema, value) {
  if (schema?.contentMediaType === 'application/json' && schema.contentSchema) {
    if (typeof value !== 'string') return ['the body must be JSON text (a string)'];
    let parsed;
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      return [`the body is not JSON text: ${error.message}`];
    }
    return validateMedia(validator, schema.contentSchema, parsed);
  }
  const validate = validator.compile(schema);
  return validate(value) ? [] : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`);
}
