// @ts-check
// Try it, in the docs page: a panel under each operation's samples (Redoc's right panel) that sends one of its
// actions to the local mock, the sandbox or a URL the reader types, and shows the answer with a verdict from
// the proxy's checker (./verdict.js, loaded with the site's openapi.json on the first Send). Nothing is sent
// anywhere before the reader presses Send. The credentials live in sessionStorage only (gone with the tab):
// never in the page's URL, localStorage, a cookie or the console, and every form of a secret is blanked out of
// what the page shows (an answer may echo it). Built for the browser by src/tryit/build.js (esbuild).
import { secretForms } from '@qzz/client/secrets';
import { signedHeaders } from '../../../client/dist/signing.js';
import { DATA_ELEMENT_ID } from './constants.js';

/** @typedef {import('./data.js').TryOperation} TryOperation @typedef {import('./data.js').TryAction} TryAction */

const STORE = { credentials: 'qzz.tryit.credentials', target: 'qzz.tryit.target' };
const DOCUMENT_URL = './openapi.json';
const TIMEOUT_MS = 30_000;

/** Where Try it sends: `pnpm mock` (the default), the sandbox (`pnpm mock --sandbox --port 4011`), or any URL. */
export const TARGETS = [
  { id: 'mock', zh: '本地模拟服务', en: 'Local mock', url: 'http://localhost:4010' },
  { id: 'sandbox', zh: '沙箱', en: 'Sandbox', url: 'http://localhost:4011' },
  { id: 'custom', zh: '其他地址', en: 'Another URL (a proxy or the gateway)', url: '' },
];

/**
 * The credentials a call needs: the gateway's four for business calls (where each travels), the app's for the
 * gateway's own signed calls. `secret`: never shown back, blanked out of answers.
 */
const FIELDS = {
  business: [
    { key: 'accessToken', name: 'access_token', zh: '访问令牌', secret: true },
    { key: 'groupName', name: 'groupName', zh: '集团名', header: 'groupName' },
    { key: 'accountId', name: 'accountid', zh: '账套 ID', header: 'accountid' },
    { key: 'routerAddr', name: 'X-GW-Router-Addr', zh: '路由地址', header: 'X-GW-Router-Addr' },
  ],
  signed: [
    { key: 'clientId', name: 'Client ID', zh: '应用 ID' },
    { key: 'clientSecret', name: 'Client secret', zh: '应用密钥', secret: true },
    { key: 'outerInstanceId', name: 'outerInstanceId', zh: '外部实例 ID' },
  ],
};

// ─ storage: sessionStorage only ─────────────────────────────────────────────────────────────────────────

/** @returns {Record<string, string>} */
function readStored(/** @type {string} */ key) {
  try {
    const value = JSON.parse(sessionStorage.getItem(key) ?? '{}');
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}
function store(/** @type {string} */ key, /** @type {Record<string, string>} */ value) {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage refused (private mode, full): the values stay in the fields for this page only.
  }
}

// ─ secrets out of what is shown ─────────────────────────────────────────────────────────────────────────

/** `text` with every form of every secret blanked out; a short one only where it stands alone. */
function redact(/** @type {string} */ text, /** @type {string[]} */ secrets) {
  let out = text;
  for (const form of secrets.flatMap(secretForms).sort((a, b) => b.length - a.length)) {
    const pattern = form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(form.length < 8 ? `(?<![A-Za-z0-9])${pattern}(?![A-Za-z0-9])` : pattern, 'g'), '[redacted]');
  }
  return out;
}

// ─ DOM ──────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * An element with attributes and children (text is always text, never markup).
 * @param {string} tag @param {Record<string, string | boolean | undefined>} [attributes] @param {(Node | string | null | undefined | false)[]} children
 */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) element.setAttribute(name, '');
    else if (typeof value === 'string') element.setAttribute(name, value);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}
/** A label in both languages: 中文 · English. */
const both = (/** @type {string} */ zh, /** @type {string} */ en) => `${zh} · ${en}`;

/** @typedef {(part: string) => string} IdOf an element id within one panel */

/**
 * The action picker (shown when the route has several), what selects the action, and the body's editor (the
 * query's, for the gateway's signed calls); edits are kept per action while the reader switches.
 * @param {IdOf} idOf @param {TryOperation} operation
 */
function actionEditor(idOf, operation) {
  const edits = new Map();
  const picker = /** @type {HTMLSelectElement} */ (
    h('select', { id: idOf('action') }, ...operation.actions.map((a, i) => h('option', { value: String(i) }, `${a.title} (${a.name})`)))
  );
  const selects = h('p', { class: 'qzz-tryit-select', id: idOf('select') });
  const editor = /** @type {HTMLTextAreaElement} */ (
    h('textarea', { id: idOf('body'), rows: '10', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': idOf('select') })
  );
  const label = h('label', { for: idOf('body') });
  const current = () => operation.actions[Number(picker.value) || 0];
  const text =
    operation.contentType === 'text/plain'
      ? ['text/plain 中的 JSON 文本', 'JSON text in text/plain, as the client sends it']
      : ['JSON', 'JSON'];
  label.textContent = operation.signed
    ? both('查询参数（JSON，值为 null 的从下方填入）', 'Query (JSON; a null value is filled from the fields below)')
    : both(`请求体（${text[0]}）`, `Body (${text[1]})`);
  const show = () => {
    const action = current();
    selects.textContent = Object.keys(action.select).length
      ? `${both('选择此动作的值', 'Selected by')}: ${JSON.stringify(action.select)} ${both('（已在请求体中）', '(kept in the body)')}`
      : operation.actions.length > 1
        ? both('没有选择值：按请求体的结构区分', "Selected by the body's shape (no selecting values)")
        : both('此路径只有这一个动作', 'The only action on this route');
    editor.value = edits.get(action.name) ?? (operation.signed ? JSON.stringify(action.query ?? {}, null, 2) : (action.body ?? ''));
  };
  editor.addEventListener('input', () => edits.set(current().name, editor.value));
  picker.addEventListener('change', show);
  show();
  const several = operation.actions.length > 1;
  return {
    elements: [several && h('label', { for: idOf('action') }, both('动作', 'Action')), several && picker, selects, label, editor],
    current,
    text: () => editor.value,
  };
}

/**
 * Where to send: the mock, the sandbox, or a URL the reader types (kept in sessionStorage).
 * @param {IdOf} idOf
 */
function targetPicker(idOf) {
  const kept = { id: 'mock', url: '', ...readStored(STORE.target) };
  const customUrl = /** @type {HTMLInputElement} */ (
    h('input', {
      id: idOf('url'),
      type: 'url',
      inputmode: 'url',
      autocomplete: 'off',
      placeholder: 'https://…',
      value: kept.id === 'custom' ? kept.url : '',
    })
  );
  const radios = TARGETS.map((t) => {
    const input = /** @type {HTMLInputElement} */ (
      h('input', { type: 'radio', name: idOf('target'), id: idOf(`target-${t.id}`), value: t.id })
    );
    input.checked = t.id === kept.id;
    input.addEventListener('change', () => store(STORE.target, { id: t.id, url: t.id === 'custom' ? customUrl.value : t.url }));
    return input;
  });
  customUrl.addEventListener('input', () => {
    radios[TARGETS.findIndex((t) => t.id === 'custom')].checked = true;
    store(STORE.target, { id: 'custom', url: customUrl.value });
  });
  const element = h(
    'fieldset',
    {},
    h('legend', {}, both('发送到', 'Send to')),
    ...TARGETS.map((t, i) =>
      h('div', {}, radios[i], h('label', { for: idOf(`target-${t.id}`) }, `${both(t.zh, t.en)}${t.url ? ` — ${t.url}` : ''}`)),
    ),
    h('label', { for: idOf('url'), class: 'qzz-tryit-sub' }, both('其他地址', 'Other URL')),
    customUrl,
  );
  const baseUrl = () => {
    const chosen = TARGETS[radios.findIndex((radio) => radio.checked)];
    return !chosen || chosen.id === 'custom' ? customUrl.value.trim() : chosen.url;
  };
  return { element, baseUrl };
}

/**
 * The credentials' fields: the gateway's four, or the app's for a signed call; kept in sessionStorage.
 * @param {IdOf} idOf @param {TryOperation} operation
 */
function credentialFields(idOf, operation) {
  const kept = readStored(STORE.credentials);
  const fields = operation.signed ? FIELDS.signed : FIELDS.business;
  const inputs = fields.map((f) => {
    const input = /** @type {HTMLInputElement} */ (
      h('input', { id: idOf(f.key), type: f.secret ? 'password' : 'text', autocomplete: 'off', spellcheck: 'false', name: f.key })
    );
    input.value = kept[f.key] ?? '';
    input.addEventListener('input', () => store(STORE.credentials, { ...readStored(STORE.credentials), [f.key]: input.value }));
    return input;
  });
  const legend = operation.signed
    ? both('应用凭据（用于签名）', "The app's credentials (they sign the call)")
    : both('网关凭据', "The gateway's four credentials");
  const element = h(
    'fieldset',
    {},
    h('legend', {}, legend),
    h(
      'p',
      { class: 'qzz-tryit-sub' },
      both('只保存在本标签页的 sessionStorage 中', "Kept in this tab's sessionStorage only; the mock accepts any values"),
    ),
    ...fields.map((f, i) => h('div', { class: 'qzz-tryit-field' }, h('label', { for: idOf(f.key) }, `${f.name} · ${f.zh}`), inputs[i])),
  );
  return { element, values: () => Object.fromEntries(fields.map((f, i) => [f.key, inputs[i].value])) };
}

/** The panel of one operation: a form (Enter in a field sends, and the password field belongs to it). */
function buildPanel(/** @type {string} */ id, /** @type {TryOperation} */ operation) {
  /** @type {IdOf} */
  const idOf = (part) => `qzz-tryit-${id}-${part}`;
  const editor = actionEditor(idOf, operation);
  const target = targetPicker(idOf);
  const credentials = credentialFields(idOf, operation);
  const send = h('button', { type: 'submit', class: 'qzz-tryit-send' }, both('发送', 'Send'));
  const status = h('p', { role: 'status', 'aria-live': 'polite', class: 'qzz-tryit-status', id: idOf('status') });
  const result = h('div', { class: 'qzz-tryit-result', id: idOf('result') });
  const panel = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'qzz-tryit', 'aria-label': both('试一试', 'Try it'), 'data-operation': id, novalidate: true },
      h('h3', {}, both('试一试', 'Try it')),
      ...editor.elements,
      target.element,
      credentials.element,
      send,
      h('p', { class: 'qzz-tryit-sub' }, both('Ctrl+Enter 发送', 'Ctrl+Enter sends')),
      status,
      result,
    )
  );
  // Typing in the panel is the reader's: Redoc's page-wide shortcuts do not see it.
  panel.addEventListener('keydown', (event) => {
    event.stopPropagation();
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) panel.requestSubmit();
  });
  panel.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (send.hasAttribute('disabled')) return;
    send.setAttribute('disabled', '');
    try {
      const input = { operation, action: editor.current(), text: editor.text(), base: target.baseUrl(), values: credentials.values() };
      await sendOnce({ ...input, status, result });
    } finally {
      send.removeAttribute('disabled');
    }
  });
  return panel;
}

// ─ one Send ─────────────────────────────────────────────────────────────────────────────────────────────

/**
 * The request one Send makes: URL, method, headers and body.
 * @param {{ operation: TryOperation, action: TryAction, text: string, base: string, values: Record<string, string> }} input
 */
async function buildRequest({ operation, action, text, base, values }) {
  const root = base.replace(/\/+$/, '');
  /** @type {Record<string, string>} */
  const headers = {};
  if (!operation.signed) {
    const url = new URL(`${root}${operation.path}`);
    if (values.accessToken) url.searchParams.set('access_token', values.accessToken);
    for (const field of FIELDS.business) if (field.header && values[field.key]) headers[field.header] = values[field.key];
    if (operation.contentType) headers['Content-Type'] = operation.contentType;
    return { url, headers, body: text };
  }
  // The gateway's own calls: the query from the editor (a null filled from the fields), signed as the client signs.
  const parsed = JSON.parse(text || '{}');
  /** @type {Record<string, string>} */
  const query = {};
  for (const [key, value] of Object.entries(parsed && typeof parsed === 'object' ? parsed : {})) {
    const filled = value === null ? values[key] : value;
    if (filled !== undefined && filled !== null && filled !== '') query[key] = String(filled);
  }
  const url = new URL(`${root}${operation.path}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  if (values.clientId && values.clientSecret) {
    Object.assign(
      headers,
      await signedHeaders({ clientId: values.clientId, clientSecret: values.clientSecret }, operation.method, operation.path, query),
    );
  }
  if (operation.contentType) headers['Content-Type'] = operation.contentType;
  return { url, headers, body: operation.method === 'GET' ? undefined : (action.body ?? '{}') };
}

/**
 * Sends once and shows the answer and the verdict.
 * @param {{ operation: TryOperation, action: TryAction, text: string, base: string, values: Record<string, string>, status: HTMLElement, result: HTMLElement }} input
 */
async function sendOnce(input) {
  const { operation, values, status, result } = input;
  const secrets = [values.accessToken, values.clientSecret].filter((s) => typeof s === 'string' && s !== '');
  const show = (/** @type {string} */ text) => redact(text, secrets);
  result.replaceChildren();
  if (!/^https?:\/\/[^/]/i.test(input.base)) {
    status.textContent = both(
      '请选择目标或输入以 http:// 或 https:// 开头的地址',
      'Pick a target, or type a URL that starts with http:// or https://',
    );
    return;
  }
  let request;
  try {
    request = await buildRequest(input);
  } catch (error) {
    status.textContent = show(`${both('查询参数不是 JSON', 'The query is not JSON')}: ${error.message}`);
    return;
  }
  status.textContent = both('发送中…', 'Sending…');
  const started = performance.now();
  let answer;
  let text;
  try {
    answer = await fetch(request.url, {
      method: operation.method,
      headers: request.headers,
      body: request.body,
      mode: 'cors',
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    text = await answer.text();
  } catch (error) {
    status.textContent = show(
      `${both('请求未完成', 'The request did not complete')}: ${error.name === 'TimeoutError' ? `no answer in ${TIMEOUT_MS / 1000} s` : error.message}. ${both('目标是否在运行，并允许此页面的来源（CORS）？', "Is the target running, and does it allow this page's origin (CORS)?")}`,
    );
    return;
  }
  const ms = Math.round(performance.now() - started);
  status.textContent = `${answer.status} ${answer.statusText} · ${ms} ms`;
  result.append(...answerView(answer, text, show));
  const verdict = h('div', { class: 'qzz-tryit-verdict', 'aria-live': 'polite' }, both('核对中…', 'Checking…'));
  result.prepend(verdict);
  try {
    const { loadChecker, verdictOf, KIND_NAMES } = await import('./verdict.js');
    const checker = await loadChecker(DOCUMENT_URL);
    const found = verdictOf(checker, {
      method: operation.method,
      path: operation.path,
      body: request.body ?? '',
      status: answer.status,
      answer: text,
      answerType: answer.headers.get('content-type') ?? undefined,
    });
    verdict.replaceChildren(...verdictView(found, KIND_NAMES, show));
  } catch (error) {
    verdict.textContent = show(`${both('无法核对', 'Could not check the answer')}: ${error.message}`);
  }
}

/** The answer: what it says at a glance (a business failure's errorCode, the mock's missing credentials), headers, body. */
function answerView(/** @type {Response} */ answer, /** @type {string} */ text, /** @type {(t: string) => string} */ show) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const notes = [];
  if (parsed && parsed.success === false)
    notes.push(
      h(
        'p',
        { class: 'qzz-tryit-failure' },
        show(`${both('业务失败', 'Business failure')}: errorCode ${JSON.stringify(parsed.errorCode ?? null)}`),
      ),
    );
  if (parsed && Array.isArray(parsed.missing))
    notes.push(h('p', { class: 'qzz-tryit-failure' }, show(`${both('缺少凭据', 'Missing credentials')}: ${parsed.missing.join(', ')}`)));
  const headers = [...answer.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
  const body = parsed === undefined ? text : JSON.stringify(parsed, null, 2);
  return [
    ...notes,
    h('h4', {}, both('应答头', 'Answer headers')),
    h('pre', { class: 'qzz-tryit-headers', tabindex: '0', 'aria-label': both('应答头', 'Answer headers') }, show(headers)),
    h('h4', {}, both('应答体', 'Answer body')),
    h('pre', { class: 'qzz-tryit-body', tabindex: '0', 'aria-label': both('应答体', 'Answer body') }, show(body)),
  ];
}

/**
 * The verdict: `matches`, or each pointer where the answer departs from the action's schema.
 * @param {ReturnType<typeof import('./verdict.js').verdictOf>} found
 * @param {Record<string, string[]>} names
 * @param {(t: string) => string} show
 */
function verdictView(found, names, show) {
  const line = (/** @type {import('./verdict.js').Finding} */ f) => {
    const [zh, en] = names[f.kind] ?? [f.kind, f.kind];
    const count = f.count > 1 ? ` (×${f.count})` : '';
    return h('li', {}, h('code', {}, f.pointer || '/'), ` ${both(zh, en)}${count} — ${show(`spec: ${f.spec}; seen: ${f.seen}`)}`);
  };
  const list = (/** @type {import('./verdict.js').Finding[]} */ findings) => h('ul', {}, ...findings.map(line));
  const out = [];
  if (found.answer === null)
    out.push(
      h(
        'p',
        { class: 'qzz-tryit-departs' },
        both('应答未核对：请求没有选中规范中的动作', 'The answer is not checked: the request selects no action of the spec'),
      ),
    );
  else if (found.answer.length === 0) out.push(h('p', { class: 'qzz-tryit-matches' }, `✓ ${both('符合规范', 'matches')}`));
  else
    out.push(
      h('p', { class: 'qzz-tryit-departs' }, `✗ ${both('应答与规范不符', 'The answer departs from the spec')}:`),
      list(found.answer),
    );
  if (found.action)
    out.push(h('p', { class: 'qzz-tryit-sub' }, `${both('按请求体选中的动作', 'Action the body selects')}: ${found.action}`));
  if (found.request.length) out.push(h('p', {}, both('请求与规范不符', 'The request departs from the spec')), list(found.request));
  return out;
}

// ─ mounting ─────────────────────────────────────────────────────────────────────────────────────────────

const STYLE = `
.qzz-tryit { margin: 16px 0; padding: 16px; border-radius: 8px; border: 1px solid #c7cad1; background: #ffffff; color: #1f2328; font: 14px/1.5 system-ui, sans-serif; }
.qzz-tryit h3 { margin: 0 0 8px; font-size: 16px; color: inherit; }
.qzz-tryit h4 { margin: 12px 0 4px; font-size: 14px; color: inherit; }
.qzz-tryit label, .qzz-tryit legend { display: block; font-weight: 600; margin: 8px 0 4px; color: inherit; }
.qzz-tryit input[type=radio] + label { display: inline; font-weight: 400; margin-left: 4px; }
.qzz-tryit textarea, .qzz-tryit input[type=text], .qzz-tryit input[type=password], .qzz-tryit input[type=url], .qzz-tryit select {
  box-sizing: border-box; width: 100%; padding: 6px 8px; border: 1px solid #8c929d; border-radius: 4px; background: #ffffff; color: #1f2328; font: 13px/1.4 ui-monospace, monospace; }
.qzz-tryit fieldset { border: 1px solid #c7cad1; border-radius: 6px; margin: 12px 0; padding: 8px 12px; }
.qzz-tryit :focus-visible { outline: 3px solid #0b5fff; outline-offset: 1px; }
.qzz-tryit .qzz-tryit-send { margin-top: 8px; padding: 8px 20px; border: 0; border-radius: 6px; background: #0b5fff; color: #ffffff; font-weight: 600; cursor: pointer; }
.qzz-tryit .qzz-tryit-send[disabled] { opacity: 0.6; cursor: progress; }
.qzz-tryit .qzz-tryit-sub { font-size: 12px; color: #4b5261; margin: 4px 0; font-weight: 400; }
.qzz-tryit pre { max-height: 360px; overflow: auto; padding: 8px; border-radius: 4px; background: #f3f4f6; color: #1f2328; font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
.qzz-tryit .qzz-tryit-matches { color: #116329; font-weight: 600; }
.qzz-tryit .qzz-tryit-departs, .qzz-tryit .qzz-tryit-failure { color: #a40e26; font-weight: 600; }
html.dark .qzz-tryit { background: #161b22; color: #e6edf3; border-color: #3d444d; }
html.dark .qzz-tryit textarea, html.dark .qzz-tryit input[type=text], html.dark .qzz-tryit input[type=password], html.dark .qzz-tryit input[type=url], html.dark .qzz-tryit select {
  background: #0d1117; color: #e6edf3; border-color: #6e7681; }
html.dark .qzz-tryit fieldset { border-color: #3d444d; }
html.dark .qzz-tryit pre { background: #0d1117; color: #e6edf3; }
html.dark .qzz-tryit .qzz-tryit-sub { color: #b1bac4; }
html.dark .qzz-tryit .qzz-tryit-matches { color: #56d364; }
html.dark .qzz-tryit .qzz-tryit-departs, html.dark .qzz-tryit .qzz-tryit-failure { color: #ff7b72; }
html.dark .qzz-tryit :focus-visible { outline-color: #58a6ff; }
html.dark .qzz-tryit .qzz-tryit-send { background: #1f6feb; }
`;

/** Adds a panel to every operation Redoc shows that has none yet. */
function mountPanels(/** @type {Record<string, TryOperation>} */ data) {
  for (const section of document.querySelectorAll('[data-item-kind="httpItem"][data-section-id]')) {
    if (section.querySelector(':scope .qzz-tryit')) continue;
    const id = String(section.getAttribute('data-section-id')).split('/').at(-1) ?? '';
    const operation = Object.hasOwn(data, id) ? data[id] : undefined;
    if (!operation) continue;
    // Next to the samples: in the right panel that holds them (each row of Redoc's layout has one).
    const place =
      section.querySelector('.panel-request-samples')?.parentElement ?? section.querySelector('[data-testid="right-panel"]') ?? section;
    place.append(buildPanel(id, operation));
  }
}

function start() {
  const element = document.getElementById(DATA_ELEMENT_ID);
  if (!element) return;
  /** @type {Record<string, TryOperation>} */
  const data = JSON.parse(element.textContent ?? '{}');
  document.head.append(h('style', {}, STYLE));
  // Redoc renders the operation a reader opens (and again when they move on): panels follow its sections.
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      mountPanels(data);
    });
  }).observe(document.body, { childList: true, subtree: true });
  mountPanels(data);
}

// After Redoc's first render: the panels wait for the page, not the page for them.
if (document.readyState === 'complete') requestIdleCallback(start, { timeout: 2000 });
else addEventListener('load', () => requestIdleCallback(start, { timeout: 2000 }), { once: true });
