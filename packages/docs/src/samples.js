// @ts-check
// Code samples per vendor action, generated from the bundle at build time and shown in Redoc's right panel
// (`x-codeSamples`): TypeScript with @qzz/client, and curl. test/samples.test.js runs every one of them, as the
// site shows it, against @qzz/mock. Nothing here is written per action: a change to the spec changes the samples.
import { applySelect, deref, isObject, listOperations, moduleKey } from '@qzz/spec/actions';

/**
 * The values a sample reads from the environment, and what it falls back to: `pnpm mock`'s address and values
 * any mock accepts, so a sample runs as it stands against the mock. Against the gateway, set them all.
 */
export const SAMPLE_ENV = {
  QZZ_BASE_URL: 'http://localhost:4010',
  QZZ_ACCESS_TOKEN: 'dev-token',
  QZZ_GROUP_NAME: 'dev',
  QZZ_ACCOUNT_ID: 'dev',
  QZZ_ROUTER_ADDR: 'https://tf.jdy.com',
  QZZ_CLIENT_ID: 'dev-client-id',
  QZZ_CLIENT_SECRET: 'dev-client-secret',
  QZZ_OUTER_INSTANCE_ID: 'dev-instance',
};

/** The comment a TypeScript sample's print line ends with, before the value it prints. */
export const PRINTS = '// prints ';

/**
 * `body` without the values `select` names (deeply): what a caller of the action function passes, since the
 * client fills them in (the runtime twin of the client's `Unselected<>` type).
 * @param {Record<string, unknown>} select
 * @param {unknown} body
 * @returns {Record<string, unknown>}
 */
export function unselect(select, body) {
  /** @type {Record<string, unknown>} */
  const out = isObject(body) ? { .../** @type {object} */ (body) } : {};
  for (const [key, want] of Object.entries(select ?? {})) {
    if (isObject(want)) out[key] = unselect(/** @type {Record<string, unknown>} */ (want), out[key]);
    else delete out[key];
  }
  return out;
}

/** A value as a TypeScript literal: JSON, with keys that are identifiers left unquoted. */
const literal = (/** @type {unknown} */ value, indent = '') =>
  JSON.stringify(value, null, 2)
    .replace(/^(\s*)"([A-Za-z_$][\w$]*)":/gm, '$1$2:')
    .replace(/\n/g, `\n${indent}`);

/** A string in single quotes for a POSIX shell. */
const shellQuote = (/** @type {string} */ text) => `'${text.replaceAll("'", `'\\''`)}'`;

/** Line ends as JSON writes them (`\n`, `\u2028`): text from the spec in a `//` or `#` comment stays in it. */
const LINE_ENDS = { '\n': '\\n', '\r': '\\r', '\u2028': '\\u2028', '\u2029': '\\u2029' };
const lineComment = (/** @type {string} */ text) =>
  text.replace(/[\n\r\u2028\u2029]/g, (end) => LINE_ENDS[/** @type {keyof typeof LINE_ENDS} */ (end)]);

/** A key in a TypeScript object literal: as it stands when it is an identifier, else quoted. */
const propertyName = (/** @type {string} */ key) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key));

/** A route in a curl sample's URL: inside its double quotes when the shell reads it literally there, else single-quoted. */
const shellUrl = (/** @type {string} */ base, /** @type {string} */ path) =>
  /^[A-Za-z0-9_./~-]*$/.test(path) ? `"${base}${path}"` : `"${base}"${shellQuote(path)}`;

/** Follows a `$ref` (one level, as the bundle has them). */

/**
 * The request example of an action, as the client's input and as the wire body.
 * @returns {{ input: Record<string, unknown>, body?: string, contentType?: string }}
 */
export function requestOf(/** @type {any} */ doc, /** @type {any} */ operation, /** @type {any} */ action, /** @type {boolean} */ signed) {
  if (signed) {
    // The gateway's own calls take their query parameters; their examples carry the action's example name.
    /** @type {Record<string, unknown>} */
    const input = {};
    for (const parameter of (operation.parameters ?? []).map((/** @type {any} */ p) => deref(doc, p))) {
      if (parameter.in !== 'query') continue;
      const example = deref(doc, parameter.examples?.[action.examples.request]);
      if (example) input[parameter.name] = example.value;
      else if (parameter.required) input[parameter.name] = null; // filled from the environment by the sample
    }
    return { input };
  }
  const [contentType, media] = Object.entries(operation.requestBody.content)[0];
  const example = deref(doc, media.examples?.[action.examples.request]);
  if (!example) throw new Error(`${action.name}: no request example named ${action.examples.request}`);
  // text/plain bodies carry JSON text: the example is that text, sent as it stands.
  const text = contentType === 'text/plain';
  const value = text ? JSON.parse(example.value) : applySelect(action.select, example.value);
  return { input: unselect(action.select, value), body: text ? example.value : JSON.stringify(value, null, 2), contentType };
}

/** What a TypeScript sample prints, from the action's documented answer when it has one. */
function printLine(/** @type {any} */ doc, /** @type {any} */ operation, /** @type {any} */ action) {
  const content = Object.values(operation.responses?.['200']?.content ?? {})[0];
  const example = action.examples.response && deref(doc, /** @type {any} */ (content)?.examples?.[action.examples.response]);
  const data = example?.value?.data;
  if (typeof data?.billno === 'string' && data.billno) return `console.log(data.billno); ${PRINTS}${lineComment(data.billno)}`;
  if (example && JSON.stringify(data).length <= 300)
    return `console.log(JSON.stringify(data)); ${PRINTS}${lineComment(JSON.stringify(data))}`;
  return [
    `// The vendor documents ${example ? 'a long answer' : 'no answer'} for this action; \`pnpm mock\` answers ${example ? 'it' : 'one generated from its schema'}.`,
    'console.log(JSON.stringify(data));',
  ].join('\n');
}

const env = (/** @type {keyof typeof SAMPLE_ENV} */ name) => `env.${name} ?? '${SAMPLE_ENV[name]}'`;

function typescriptSample(/** @type {any} */ doc, /** @type {any} */ ctx) {
  const { operation, action, module, signed, input, title } = ctx;
  const call = `client.${module}.${action.name}`;
  const head = [
    `// ${lineComment(title)}`,
    `// ${call} — runs as it stands against \`pnpm mock\` (${SAMPLE_ENV.QZZ_BASE_URL}).`,
    '// For the gateway, set QZZ_BASE_URL=https://api.kingdee.com and your',
    signed
      ? "// app's QZZ_CLIENT_ID, QZZ_CLIENT_SECRET and QZZ_OUTER_INSTANCE_ID."
      : "// account set's QZZ_ACCESS_TOKEN, QZZ_GROUP_NAME, QZZ_ACCOUNT_ID and QZZ_ROUTER_ADDR.",
  ];
  if (signed) {
    const args = Object.entries(input).map(([k, v]) =>
      v === null ? `  ${propertyName(k)}: app.outerInstanceId,` : `  ${propertyName(k)}: ${literal(v, '  ')},`,
    );
    return [
      ...head,
      `import { createQzzClient, kingdeeCredentials } from '@qzz/client';`,
      '',
      'const env = process.env;',
      `const baseUrl = ${env('QZZ_BASE_URL')};`,
      'const app = {',
      `  clientId: ${env('QZZ_CLIENT_ID')},`,
      `  clientSecret: ${env('QZZ_CLIENT_SECRET')},`,
      `  outerInstanceId: ${env('QZZ_OUTER_INSTANCE_ID')},`,
      '};',
      '',
      '// Business calls need none of this by hand: kingdeeCredentials calls push_app_authorize, then',
      '// kingdee_auth_token, both signed, and gives the client the four values (cached until they expire).',
      'const client = createQzzClient({',
      '  baseUrl,',
      '  credentials: kingdeeCredentials({ ...app, baseUrl }),',
      '  gateway: { clientId: app.clientId, clientSecret: app.clientSecret },',
      '});',
      '',
      "// The call on its own, signed with the app's secret (X-Api-* headers):",
      `const data = await ${call}({`,
      ...args,
      '});',
      printLine(doc, operation, action),
    ].join('\n');
  }
  return [
    ...head,
    `import { createQzzClient } from '@qzz/client';`,
    '',
    'const env = process.env;',
    'const client = createQzzClient({',
    `  baseUrl: ${env('QZZ_BASE_URL')},`,
    '  credentials: {',
    `    accessToken: ${env('QZZ_ACCESS_TOKEN')},`,
    `    groupName: ${env('QZZ_GROUP_NAME')},`,
    `    accountId: ${env('QZZ_ACCOUNT_ID')},`,
    `    routerAddr: ${env('QZZ_ROUTER_ADDR')},`,
    '  },',
    '});',
    '',
    Object.keys(action.select).length
      ? `// The vendor's example, without ${lineComment(JSON.stringify(action.select))}: the client fills that in.`
      : "// The vendor's example.",
    `const data = await ${call}(${literal(input)});`,
    printLine(doc, operation, action),
  ].join('\n');
}

function curlSample(/** @type {any} */ ctx) {
  const { path, action, body, contentType, title } = ctx;
  const v = (/** @type {keyof typeof SAMPLE_ENV} */ name) => `\${${name}:-${SAMPLE_ENV[name]}}`;
  return [
    `# ${lineComment(title)}`,
    `# ${action.name} — runs as it stands against \`pnpm mock\` (${SAMPLE_ENV.QZZ_BASE_URL}).`,
    '# For the gateway, set QZZ_BASE_URL=https://api.kingdee.com and your',
    "# account set's QZZ_ACCESS_TOKEN, QZZ_GROUP_NAME, QZZ_ACCOUNT_ID and QZZ_ROUTER_ADDR.",
    `curl -sS -X POST ${shellUrl(v('QZZ_BASE_URL'), path)} \\`,
    `  --url-query "access_token=${v('QZZ_ACCESS_TOKEN')}" \\`,
    `  -H "groupName: ${v('QZZ_GROUP_NAME')}" \\`,
    `  -H "accountid: ${v('QZZ_ACCOUNT_ID')}" \\`,
    `  -H "X-GW-Router-Addr: ${v('QZZ_ROUTER_ADDR')}" \\`,
    `  -H ${shellQuote(`Content-Type: ${contentType}`)} \\`,
    `  --data-raw ${shellQuote(body)}`,
  ].join('\n');
}

/**
 * @typedef {{ lang: string, label: string, source: string, 'x-qzz-action': string }} CodeSample
 */

/**
 * The code samples of every operation, by operationId: for each action a TypeScript sample and, for business
 * calls, a curl one. The gateway's own signed calls get the kingdeeCredentials flow instead of curl: their
 * signature (HMAC over a nonce and the time) cannot be written down once.
 * @param {any} doc the bundle
 * @param {(action: any) => string} [titleOf] an action's title as the sample names it (default: its summary)
 * @returns {Map<string, CodeSample[]>}
 */
export function codeSamples(doc, titleOf = (action) => action.summary) {
  const modules = new Map(doc.tags.map((/** @type {any} */ t) => [t.name, moduleKey(t['x-qzz-module'])]));
  /** @type {Map<string, CodeSample[]>} */
  const out = new Map();
  for (const { wirePath: path, operation, signed, actions } of listOperations(doc)) {
    const module = modules.get(operation.tags[0]);
    const several = actions.length > 1;
    /** @type {CodeSample[]} */
    const samples = [];
    for (const action of actions) {
      const request = requestOf(doc, operation, action, signed);
      const ctx = { path, operation, action, module, signed, title: titleOf(action), ...request };
      const suffix = several ? ` · ${action.name}` : '';
      samples.push({ lang: 'TypeScript', label: `TypeScript${suffix}`, source: typescriptSample(doc, ctx), 'x-qzz-action': action.name });
      if (!signed) samples.push({ lang: 'Shell', label: `curl${suffix}`, source: curlSample(ctx), 'x-qzz-action': action.name });
    }
    out.set(operation.operationId, samples);
  }
  return out;
}
