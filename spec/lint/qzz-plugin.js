// Redocly lint rules for this project's conventions (see ../../docs/spec-layout.md).
// Built-in rules cannot see the `x-qzz-actions` extension or relate an operation to its module folder,
// so these rules do.
import { isObject, matchesSelect, moduleKey, RECORD_SOURCE } from '../lib/actions.js';

const ACTION_KEYS = ['name', 'summary', 'source', 'status', 'kind', 'select', 'request', 'response', 'examples'];
const STATUSES = ['stable', 'in-development'];
const KINDS = ['save', 'audit', 'save-audit', 'push', 'query', 'operate'];
const CAMEL = /^[a-z][a-zA-Z0-9]*$/;
const SCHEMA_POINTER = /^#\/components\/schemas\/[A-Za-z0-9_.-]+$|^#\/paths\/.+\/parameters$/;

// Collected once per run from the root's tags: tag name -> module slug.
function moduleTags() {
  const bySlug = new Map();
  return {
    bySlug,
    Root: {
      enter(root) {
        for (const tag of root.tags ?? []) if (tag['x-qzz-module']) bySlug.set(tag.name, tag['x-qzz-module']);
      },
    },
  };
}

/** The file of an operation lives in paths/<module>/, its one tag is that module, its operationId is <module>_<verbObject>. */
function OperationModule() {
  const tags = moduleTags();
  return {
    Root: tags.Root,
    Operation(operation, ctx) {
      const where = ctx.location.source.absoluteRef.split(/[\\/]/);
      const folder = where.at(-3) === 'paths' ? where.at(-2) : undefined;
      if (!folder) {
        ctx.report({ message: 'Operations live in their own file under spec/paths/<module>/.', location: ctx.location.key() });
        return;
      }
      if (!Array.isArray(operation.tags) || operation.tags.length !== 1) {
        ctx.report({ message: 'An operation has exactly one tag: its vendor module.', location: ctx.location.child('tags') });
      } else if (tags.bySlug.get(operation.tags[0]) !== folder) {
        ctx.report({
          message: `Tag \`${operation.tags[0]}\` is not the module of folder \`${folder}\` (tags carry \`x-qzz-module\`).`,
          location: ctx.location.child('tags'),
        });
      }
      const id = operation.operationId ?? '';
      const [prefix, rest] = id.split('_');
      if (prefix !== moduleKey(folder) || !rest || !CAMEL.test(rest) || id.split('_').length !== 2) {
        ctx.report({
          message: `operationId must read \`${moduleKey(folder)}_<verbObject>\` (camelCase after the module).`,
          location: ctx.location.child('operationId'),
        });
      }
    },
  };
}

function examplesOf(content, resolve) {
  const names = new Map();
  for (const media of Object.values(content ?? {})) {
    for (const [name, example] of Object.entries(media.examples ?? {})) {
      const node = example?.$ref ? resolve(example).node : example;
      names.set(name, node?.value);
    }
  }
  return names;
}

function parameterExamples(parameters, resolve) {
  const names = new Set();
  for (const p of parameters ?? []) {
    const node = p?.$ref ? resolve(p).node : p;
    for (const name of Object.keys(node?.examples ?? {})) names.add(name);
  }
  return names;
}

/** Every operation lists its vendor actions in `x-qzz-actions`, each complete and with its examples. */
function OperationActions() {
  const seen = new Map();
  return {
    Operation(operation, ctx) {
      const actions = operation['x-qzz-actions'];
      const here = ctx.location.child('x-qzz-actions');
      if (!Array.isArray(actions) || actions.length === 0) {
        ctx.report({ message: 'Every operation lists its vendor actions in a non-empty `x-qzz-actions`.', location: ctx.location.key() });
        return;
      }
      const requestExamples = examplesOf(operation.requestBody?.content, ctx.resolve);
      const paramExamples = parameterExamples(operation.parameters, ctx.resolve);
      const responseExamples = examplesOf(operation.responses?.['200']?.content, ctx.resolve);
      actions.forEach((action, i) => {
        const at = here.child([i]);
        const missing = ACTION_KEYS.filter((k) => !(k in (action ?? {})));
        if (missing.length) {
          ctx.report({ message: `Action lacks ${missing.map((k) => `\`${k}\``).join(', ')}.`, location: at });
          return;
        }
        if (!CAMEL.test(action.name)) ctx.report({ message: 'Action `name` is camelCase.', location: at.child('name') });
        if (seen.has(action.name)) {
          ctx.report({
            message: `Action name \`${action.name}\` is already used by ${seen.get(action.name)}.`,
            location: at.child('name'),
          });
        }
        seen.set(action.name, operation.operationId);
        if (action.source !== 'gateway' && !RECORD_SOURCE.test(action.source))
          ctx.report({
            message: 'Action `source` names an evidence record (api-N, ext-…, captured-…) or `gateway`.',
            location: at.child('source'),
          });
        if (!STATUSES.includes(action.status))
          ctx.report({ message: `Action \`status\` is one of ${STATUSES.join(', ')}.`, location: at.child('status') });
        if (!KINDS.includes(action.kind))
          ctx.report({ message: `Action \`kind\` is one of ${KINDS.join(', ')}.`, location: at.child('kind') });
        if (!isObject(action.select))
          ctx.report({ message: 'Action `select` is an object of body values ({} if none).', location: at.child('select') });
        for (const key of ['request', 'response']) {
          if (typeof action[key] !== 'string' || !SCHEMA_POINTER.test(action[key])) {
            ctx.report({ message: `Action \`${key}\` is a JSON pointer into the bundle's components/schemas.`, location: at.child(key) });
          }
        }
        // A push names each form id the evidence gives: the source's, the target's, or both.
        if (('from' in action || 'to' in action) && action.kind !== 'push') {
          ctx.report({ message: 'Only push actions name `from` and `to`.', location: at });
        }
        const wanted = action.examples?.request;
        if (!wanted || !(requestExamples.has(wanted) || paramExamples.has(wanted))) {
          ctx.report({
            message: `Action's request example \`${wanted}\` is not among the operation's examples.`,
            location: at.child('examples'),
          });
        } else if (requestExamples.has(wanted) && isObject(action.select)) {
          let body = requestExamples.get(wanted);
          if (typeof body === 'string') {
            try {
              body = JSON.parse(body);
            } catch {
              ctx.report({ message: `Example \`${wanted}\` of a text/plain body is not JSON text.`, location: at.child('examples') });
              return;
            }
          }
          if (!matchesSelect(action.select, body)) {
            ctx.report({ message: `Example \`${wanted}\` does not carry the body values in \`select\`.`, location: at.child('select') });
          }
        }
        const answer = action.examples?.response;
        if (answer !== undefined && !responseExamples.has(answer)) {
          ctx.report({
            message: `Action's response example \`${answer}\` is not among the 200 response's examples.`,
            location: at.child('examples'),
          });
        }
      });
    },
  };
}

/**
 * Every required parameter has an example: a tool that builds requests from the spec (Portman, Dredd, Respect…)
 * otherwise invents a value, which the mock then refuses (a nonce that is not digits).
 */
function ParameterExample() {
  return {
    Parameter(parameter, ctx) {
      if (parameter.required !== true) return;
      const named = parameter.examples && typeof parameter.examples === 'object' && Object.keys(parameter.examples).length > 0;
      if (parameter.example === undefined && !named) {
        ctx.report({
          message: `Required parameter \`${parameter.name}\` has no \`example\` (or \`examples\`): tools that build requests would invent one.`,
          location: ctx.location.key(),
        });
      }
    },
  };
}

export default function qzzPlugin() {
  return {
    id: 'qzz',
    rules: {
      oas3: {
        'operation-module': OperationModule,
        'operation-actions': OperationActions,
        'parameter-example': ParameterExample,
      },
    },
  };
}
