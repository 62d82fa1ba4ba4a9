// One Prism operation per vendor action. Several actions share one wire path; giving each its own operation
// (its own request schema, response examples and `data` schema) lets Prism validate a body against the action
// it asks for and answer with that action's example, never another action's.
import { listActions, candidateActions as rankActions } from '@qzz/spec/actions';

const componentName = (pointer) => pointer.split('/').at(-1);

/** The branches of a composed schema (`oneOf`/`anyOf`), or the schema itself. */
const branches = (schema) => schema?.oneOf ?? schema?.anyOf ?? [schema];

/** The request schema Prism should validate: a text/plain body's JSON is validated through its contentSchema. */
function bodySchema(media) {
  return media.schema?.contentMediaType === 'application/json' && media.schema.contentSchema ? media.schema.contentSchema : media.schema;
}

/** True for a schema that only annotates (a label on an envelope field): it constrains nothing. */
const annotatesOnly = (schema) => Object.keys(schema).every((key) => ['description', 'title', 'examples'].includes(key));

/**
 * The 200 schema with `data` narrowed to one action's data schema. The overlay's labels of the envelope's other
 * fields (`success`: 响应状态) are left out: Prism merges `allOf` parts shallowly when it builds an answer, so a
 * label would hide the envelope's own definition of the field (and `success: true` would come out `null`).
 */
function narrowResponse(schema, dataTitle) {
  const [success, ...others] = schema.oneOf;
  const [envelope, overlay] = success.allOf;
  const data = branches(overlay.properties.data).find((s) => s.title === dataTitle);
  if (!data) throw new Error(`No response data schema titled ${dataTitle}`);
  const properties = Object.fromEntries(Object.entries(overlay.properties).filter(([, field]) => !annotatesOnly(field)));
  return { ...schema, oneOf: [{ ...success, allOf: [envelope, { ...overlay, properties: { ...properties, data } }] }, ...others] };
}

/**
 * Per wire operation (by method and path): its actions, each with a Prism operation of its own.
 * `prismOperations` come from getHttpOperationsFromSpec (dereferenced); `doc` is the bundle.
 */
export function buildActionOperations(doc, prismOperations) {
  const byRoute = new Map();
  const ownExamples = new Set(listActions(doc).flatMap((a) => Object.values(a.examples)));
  for (const action of listActions(doc)) {
    const operation = prismOperations.find((o) => o.method === action.method && o.path === action.path);
    if (!operation) throw new Error(`Prism has no operation ${action.method} ${action.path}`);
    const requestTitle = componentName(action.request);
    const contents = (operation.request?.body?.contents ?? []).map((media) => {
      const schema = branches(bodySchema(media)).find((s) => s.title === requestTitle);
      // A GET action (the gateway's token call) has no body: its parameters are validated as they are.
      return schema ? { ...media, schema, examples: media.examples?.filter((e) => e.key === action.examples.request) } : media;
    });
    const responses = operation.responses.map((response) => {
      if (response.code !== '200') return response;
      return {
        ...response,
        contents: response.contents.map((media) => ({
          ...media,
          schema: media.schema?.oneOf ? narrowResponse(media.schema, componentName(action.response)) : media.schema,
          // This action's example first (Prism's default), then examples no action owns (the business failure).
          examples: (media.examples ?? [])
            .filter((e) => e.key === action.examples.response || !ownExamples.has(e.key))
            .sort((a, b) => Number(b.key === action.examples.response) - Number(a.key === action.examples.response)),
        })),
      };
    });
    const own = {
      ...operation,
      request: operation.request?.body ? { ...operation.request, body: { ...operation.request.body, contents } } : operation.request,
      responses,
    };
    // Routed where a request goes: an operation with a server of its own is served under that server's prefix.
    const key = `${action.method} ${action.wirePath}`;
    if (!byRoute.has(key))
      byRoute.set(key, {
        path: action.path,
        wirePath: action.wirePath,
        method: action.method,
        textBody: isTextBody(operation),
        actions: [],
      });
    byRoute.get(key).actions.push({ action, operation: own });
  }
  return byRoute;
}

const isTextBody = (operation) => (operation.request?.body?.contents ?? []).some((m) => m.schema?.contentMediaType === 'application/json');

/** The actions a body may ask for, most specific first (see `candidateActions` in @qzz/spec/actions). */
export const candidateActions = (actions, body) => rankActions(actions, body, ({ action }) => action.select);
