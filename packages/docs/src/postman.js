// @ts-check
// The Postman collection (v2.1) of the API, generated from the bundle at build time and served with the docs site:
// one request per vendor action (not per route), grouped by module, each with a test of its answer against the
// bundle's schemas. test/postman.test.js runs it with newman against @qzz/mock and its sandbox. Nothing here is
// written per action: a change to the spec changes the collection.
import { COMPONENT_SCHEMAS, deref, listActions, resolvePointer } from '@qzz/spec/actions';
import { titleOf } from './compose.js';
import { requestOf, SAMPLE_ENV } from './samples.js';

export const POSTMAN_FILE = 'qzz.postman_collection.json';
const SCHEMA_V2_1 = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';

/** A security scheme's key (`accessToken`) as the samples' environment variable (`QZZ_ACCESS_TOKEN`). */
const envName = (/** @type {string} */ key) => `QZZ_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
/** A query parameter's name (`app_key`) as a variable's (`appKey`). */
const variableName = (/** @type {string} */ name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
/** A sample's fallback value, where the samples have one. */
const fallback = (/** @type {string} */ name) => SAMPLE_ENV[/** @type {keyof typeof SAMPLE_ENV} */ (name)] ?? '';

/**
 * The signed calls' values that are not query parameters of their own: the app's client id and secret sign every
 * signed call (as `kingdeeCredentials` takes them), the account set's `appSecret` signs `app_key` into
 * `app_signature` (push_app_authorize answers it beside `appKey`).
 */
const SIGNING_VARIABLES = [
  { key: 'clientId', value: fallback('QZZ_CLIENT_ID'), description: "The app's client id on Kingdee's open platform (X-Api-ClientID)." },
  {
    key: 'clientSecret',
    value: fallback('QZZ_CLIENT_SECRET'),
    description: "The app's client secret: the pre-request script signs the gateway's own calls with it; it is never sent.",
  },
  {
    key: 'appSecret',
    value: '',
    description: "The account set's appSecret (from push_app_authorize): signs app_key into kingdee_auth_token's app_signature.",
  },
];

/** The four gateway values of every business call, from the bundle's security requirement: `{variable, in, name}`. */
function credentialsOf(/** @type {any} */ doc) {
  return Object.keys(doc.security?.[0] ?? {}).map((key) => {
    const scheme = doc.components.securitySchemes[key];
    return { key, in: scheme.in, name: scheme.name, description: scheme.description };
  });
}

// ---- Schemas as the sandbox's ajv (draft-07) reads them ------------------------------------------------------

/** Every component a schema reaches through `$ref`, by name. */
function componentsReached(/** @type {any} */ doc, /** @type {unknown[]} */ roots) {
  /** @type {Map<string, unknown>} */
  const found = new Map();
  const walk = (/** @type {unknown} */ node) => {
    if (Array.isArray(node)) for (const item of node) walk(item);
    else if (node && typeof node === 'object') {
      const ref = /** @type {any} */ (node).$ref;
      if (typeof ref === 'string' && ref.startsWith(COMPONENT_SCHEMAS) && !found.has(ref.slice(COMPONENT_SCHEMAS.length))) {
        const name = ref.slice(COMPONENT_SCHEMAS.length);
        found.set(name, resolvePointer(doc, ref));
        walk(found.get(name));
      }
      for (const value of Object.values(node)) walk(value);
    }
  };
  walk(roots);
  return found;
}

/**
 * A bundle schema for draft-07: component pointers into `definitions`, and a `$ref` beside other keywords
 * wrapped in `allOf` (draft-07 ignores a `$ref`'s siblings; 2020-12, the bundle's dialect, applies them).
 */
function draft07(/** @type {unknown} */ node) {
  if (Array.isArray(node)) return node.map(draft07);
  if (!node || typeof node !== 'object') return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, draft07(v)]));
  if (typeof out.$ref !== 'string') return out;
  const ref = out.$ref.startsWith(COMPONENT_SCHEMAS) ? `#/definitions/${out.$ref.slice(COMPONENT_SCHEMAS.length)}` : out.$ref;
  const { $ref: _, ...rest } = out;
  return Object.keys(rest).length ? { ...rest, allOf: [...(rest.allOf ?? []), { $ref: ref }] } : { $ref: ref };
}

// ---- Scripts -----------------------------------------------------------------------------------------------
// Each script is a function here (checked like the rest of the package) whose source the collection carries,
// called with Postman's sandbox globals and the values generated for its request.

const json = (/** @type {unknown} */ value) => JSON.stringify(value);

/**
 * Runs in Postman's sandbox after a request: HTTP 200, the answer against the route's 200 schema and, on a success
 * (`answer[success.field] === success.value`), its `data` against the action's schema. The sandbox's ajv checks
 * them (`jsonSchema`, draft-07).
 * @param {any} pm
 * @param {{ route: object, data: object, dataName: string, routeName: string, success: { field: string, value: unknown } }} check
 */
function checkAnswer(pm, { route, data, dataName, routeName, success }) {
  pm.test('HTTP 200', () => pm.response.to.have.status(200));
  let answer;
  try {
    answer = pm.response.json();
  } catch {
    answer = undefined;
  }
  pm.test(`the answer fits ${routeName}'s 200 schema`, () => pm.expect(answer).to.have.jsonSchema(route));
  if (answer && answer[success.field] === success.value) {
    pm.test(`data fits ${dataName}`, () => pm.expect(answer.data).to.have.jsonSchema(data));
  }
}

/** The test script of a request: `checkAnswer` with the route's 200 schema and the action's data schema. */
function testScript(/** @type {any} */ doc, /** @type {any} */ action, /** @type {any} */ operation) {
  const route = /** @type {any} */ (Object.values(operation.responses['200'].content)[0]).schema;
  const dataName = action.response.slice(COMPONENT_SCHEMAS.length);
  const definitions = Object.fromEntries([...componentsReached(doc, [route, { $ref: action.response }])].map(([k, v]) => [k, draft07(v)]));
  // A success is what tells the envelope's data apart: `success: true` (the vendor's), `errcode: 0` (the gateway's).
  const success = action.signed ? { field: 'errcode', value: 0 } : { field: 'success', value: true };
  return [
    `// Generated from the bundle: ${operation.operationId}'s 200 answer, and ${dataName} for the data of ${action.name}.`,
    `const definitions = ${json(definitions)};`,
    `(${checkAnswer})(pm, {`,
    `  route: Object.assign({ definitions }, ${json(draft07(route))}),`,
    `  data: { definitions, $ref: ${json(`#/definitions/${dataName}`)} },`,
    `  dataName: ${json(dataName)},`,
    `  routeName: ${json(operation.operationId)},`,
    `  success: ${json(success)},`,
    '});',
  ];
}

/** The query parameter of kingdee_auth_token that the signing script computes, and the one it signs (as `kingdeeCredentials` does). */
const APP_SIGNATURE = { key: 'app_signature', of: 'app_key' };

/**
 * Runs in Postman's sandbox before every request: each query value sent percent-encoded once, as @qzz/client
 * sends it. Postman sends a variable's value in a query as it stands, so a `&`, `+` or `#` in it would split the
 * parameter or change its value.
 * @param {any} pm
 */
function encodeQuery(pm) {
  pm.request.url.query.each((/** @type {any} */ param) => {
    if (!param.disabled && typeof param.value === 'string') param.value = encodeURIComponent(pm.variables.replaceIn(param.value));
  });
}

/**
 * Runs in Postman's sandbox before a signed call (after `encodeQuery`): the X-Api-* values as @qzz/client makes
 * them (packages/client/src/signing.ts), with the sandbox's crypto-js: Base64 of the lowercase hex HMAC-SHA256 of
 * the string to sign (method, path, query sorted and encoded twice, nonce, timestamp), keyed with the client
 * secret; and `app_signature` where the call has it: the same HMAC of `app_key`, keyed with the account set's
 * `appSecret`. The secrets stay in the script; it sets only what the request's headers and query name.
 * @param {any} pm
 * @param {(name: string) => any} sandboxRequire the sandbox's `require`
 * @param {string} path the path the client signs: the operation's path
 * @param {{ key: string, of: string }} appSignature the query parameter `app_signature` and the one it signs
 */
function signRequest(pm, sandboxRequire, path, appSignature) {
  const crypto = sandboxRequire('crypto-js');
  const hexThenBase64 = (/** @type {string} */ key, /** @type {string} */ message) =>
    crypto.enc.Base64.stringify(crypto.enc.Utf8.parse(crypto.HmacSHA256(message, key).toString(crypto.enc.Hex)));
  const percentEncode = (/** @type {string} */ text) =>
    encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const twice = (/** @type {string} */ text) => percentEncode(percentEncode(text));
  /** @type {Record<string, string>} */
  const query = {};
  pm.request.url.query.each((/** @type {any} */ param) => {
    if (!param.disabled) query[param.key] = decodeURIComponent(param.value);
  });
  if (appSignature.key in query) {
    query[appSignature.key] = hexThenBase64(pm.variables.get('appSecret') || '', query[appSignature.of] || '');
    pm.request.url.query.each((/** @type {any} */ param) => {
      if (param.key === appSignature.key) param.value = encodeURIComponent(query[appSignature.key]);
    });
  }
  const sortedQuery = Object.keys(query)
    .sort()
    .map((key) => `${twice(key)}=${twice(query[key])}`)
    .join('&');
  const nonce = String(1 + Math.floor(Math.random() * 2147483646));
  const timestamp = String(Date.now());
  const method = pm.request.method.toUpperCase();
  const stringToSign = `${method}\n${percentEncode(path)}\n${sortedQuery}\nx-api-nonce:${nonce}\nx-api-timestamp:${timestamp}\n`;
  pm.variables.set('xApiTimeStamp', timestamp);
  pm.variables.set('xApiNonce', nonce);
  pm.variables.set('xApiSignature', hexThenBase64(pm.variables.get('clientSecret') || '', stringToSign));
}

/** A Postman event: a script, one line per entry of `exec`. */
const script = (/** @type {string} */ listen, /** @type {string[]} */ code) => ({
  listen,
  script: { type: 'text/javascript', exec: code.flatMap((line) => line.split('\n')) },
});

/** The pre-request script of a signed call. */
const signingScript = (/** @type {string} */ path) => [
  '// Signs this call as @qzz/client does (X-Api-Auth-Version 2.0). The secrets never leave this script.',
  `(${signRequest})(pm, require, ${json(path)}, ${json(APP_SIGNATURE)});`,
];

// ---- Requests ----------------------------------------------------------------------------------------------

/** A Postman URL on `{{baseUrl}}`: the action's wire path (its own server's prefix included) and query. */
function urlOf(
  /** @type {string} */ wirePath,
  /** @type {{key: string, value: string, disabled?: boolean, description?: string}[]} */ query,
) {
  const enabled = query.filter((q) => !q.disabled);
  const search = enabled.length ? `?${enabled.map((q) => `${q.key}=${q.value}`).join('&')}` : '';
  return { raw: `{{baseUrl}}${wirePath}${search}`, host: ['{{baseUrl}}'], path: wirePath.slice(1).split('/'), query };
}

/** A business call: the four credentials, the body (JSON, or the vendor's JSON text for text/plain routes). */
function businessRequest(/** @type {any} */ doc, /** @type {any} */ action, /** @type {any} */ operation) {
  const { body, contentType } = requestOf(doc, operation, action, false);
  const credentials = credentialsOf(doc);
  const query = credentials.filter((c) => c.in === 'query').map((c) => ({ key: c.name, value: `{{${c.key}}}` }));
  const header = [
    ...credentials.filter((c) => c.in === 'header').map((c) => ({ key: c.name, value: `{{${c.key}}}` })),
    { key: 'Content-Type', value: String(contentType) },
  ];
  const language = contentType === 'application/json' ? 'json' : 'text';
  return { method: 'POST', header, url: urlOf(action.wirePath, query), body: { mode: 'raw', raw: body, options: { raw: { language } } } };
}

/** The variables the signing script sets, by the header that carries them. */
const SCRIPT_SET_HEADERS = { 'X-Api-TimeStamp': '{{xApiTimeStamp}}', 'X-Api-Nonce': '{{xApiNonce}}' };

/** A signed call's header parameter: the constant the bundle fixes, else the variable the signing script sets. */
function signedHeaderValue(/** @type {any} */ parameter) {
  const value = parameter.schema?.const ?? SCRIPT_SET_HEADERS[/** @type {keyof typeof SCRIPT_SET_HEADERS} */ (parameter.name)];
  if (typeof value !== 'string') throw new Error(`${parameter.name}: a signed call's header the signing script does not set`);
  return value;
}

/** A signed call of the gateway: its query from variables, the X-Api-* headers from the pre-request script. */
function signedRequest(/** @type {any} */ doc, /** @type {any} */ action, /** @type {any} */ operation) {
  const parameters = (operation.parameters ?? []).map((/** @type {any} */ p) => deref(doc, p));
  const query = parameters
    .filter((/** @type {any} */ p) => p.in === 'query')
    .map((/** @type {any} */ p) => ({
      key: p.name,
      // app_signature: computed by the signing script; the rest from the collection's variables.
      value: p.name === APP_SIGNATURE.key ? '' : `{{${variableName(p.name)}}}`,
      ...(p.required ? {} : { disabled: true }),
      description: p.description,
    }));
  // The signed headers: a constant where the bundle fixes one, else the value the pre-request script sets.
  const header = [
    { key: 'X-Api-ClientID', value: '{{clientId}}' },
    ...parameters
      .filter((/** @type {any} */ p) => p.in === 'header')
      .map((/** @type {any} */ p) => ({ key: p.name, value: signedHeaderValue(p) })),
    { key: 'X-Api-Signature', value: '{{xApiSignature}}' },
  ];
  const request = { method: action.method.toUpperCase(), header, url: urlOf(action.wirePath, query) };
  if (!operation.requestBody) return request;
  const [contentType, media] = Object.entries(operation.requestBody.content)[0];
  const example = deref(doc, /** @type {any} */ (media).examples?.[action.examples.request]);
  header.push({ key: 'Content-Type', value: contentType });
  return { ...request, body: { mode: 'raw', raw: JSON.stringify(example?.value ?? {}), options: { raw: { language: 'json' } } } };
}

/** The signed calls' query parameters as collection variables (except app_signature, which the script computes). */
function signedQueryVariables(/** @type {any} */ doc) {
  /** @type {Map<string, any>} */
  const variables = new Map();
  for (const action of listActions(doc).filter((a) => a.signed)) {
    const operation = doc.paths[action.path][action.method];
    for (const p of (operation.parameters ?? []).map((/** @type {any} */ p) => deref(doc, p))) {
      if (p.in !== 'query' || !p.required || p.name === APP_SIGNATURE.key || variables.has(p.name)) continue;
      const example = deref(doc, p.examples?.[action.examples.request])?.value ?? p.example ?? '';
      variables.set(p.name, { key: variableName(p.name), value: String(example), description: `${p.name}: ${p.description}` });
    }
  }
  return [...variables.values()];
}

/** The request of one action: its title in Chinese and English, what it is, and its scripts. */
function itemOf(/** @type {any} */ doc, /** @type {any} */ action) {
  const operation = doc.paths[action.path][action.method];
  const selected = Object.keys(action.select).length ? `selected by \`${JSON.stringify(action.select)}\`` : "the route's only action";
  const description = [
    `\`${action.name}\` (@qzz/client) · ${action.kind} · ${action.status === 'in-development' ? '开发中 (in development)' : 'stable'} · ${selected} · source ${action.source}.`,
    '',
    operation.description,
  ].join('\n');
  const event = [script('test', testScript(doc, action, operation))];
  if (action.signed) event.unshift(script('prerequest', signingScript(action.path)));
  const request = action.signed ? signedRequest(doc, action, operation) : businessRequest(doc, action, operation);
  return { name: titleOf(doc, action), event, request: { ...request, description } };
}

/**
 * The collection: a folder per module that has actions (`系统功能 · System functions`), a request per action, and
 * as collection variables the base URL and the credentials (falling back to values `pnpm mock` accepts, as the
 * docs' samples do).
 * @param {any} doc the bundle
 */
export function postmanCollection(doc) {
  const actions = listActions(doc);
  const folders = doc.tags
    .map((/** @type {any} */ tag) => ({
      name: `${tag.name} · ${tag['x-displayName']}`,
      description: tag.description,
      item: actions.filter((a) => a.tag === tag.name).map((a) => itemOf(doc, a)),
    }))
    .filter((/** @type {any} */ folder) => folder.item.length);
  const variable = [
    {
      key: 'baseUrl',
      value: fallback('QZZ_BASE_URL'),
      description: `Where calls go: \`pnpm mock\` by default; ${doc.servers[0].url} for the gateway.`,
    },
    ...credentialsOf(doc).map((c) => ({
      key: c.key,
      value: fallback(envName(c.key)),
      description: `${c.name} (${c.in}): ${c.description}`,
    })),
    ...SIGNING_VARIABLES,
    ...signedQueryVariables(doc),
  ].map((v) => ({ ...v, type: 'string' }));
  return {
    info: {
      name: `${doc.info.title} ${doc.info.version}`,
      description: [
        `Generated from the spec (${doc.info.title} ${doc.info.version}): one request per vendor action, grouped by module.`,
        '',
        `Set \`baseUrl\` (${fallback('QZZ_BASE_URL')} is \`pnpm mock\`; ${doc.servers[0].url} the gateway) and the account set's four values (\`${credentialsOf(
          doc,
        )
          .map((c) => c.key)
          .join(
            '`, `',
          )}\`): every business call carries them. The gateway's own calls (系统功能) are signed by their pre-request script with \`clientId\` and \`clientSecret\`.`,
        '',
        "Each request's test checks HTTP 200, the answer against its route's 200 schema and, on a success, the action's `data` against its schema.",
      ].join('\n'),
      schema: SCHEMA_V2_1,
    },
    event: [script('prerequest', [`(${encodeQuery})(pm);`])],
    item: folders,
    variable,
  };
}
