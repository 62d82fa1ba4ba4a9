// Try it, in a real headless Chromium: the built site on one loopback origin, the mock (CORS on, as `pnpm mock`
// runs it) and stand-in servers on others. What the reader does is done with the keyboard and the fields'
// accessible names, as a screen reader finds them.

import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { close, listen } from '@qzz/http';
import { startMock } from '@qzz/mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The client's own signing (built), which the page's bundle carries too: the test checks against it.
import { signedHeaders } from '../../client/dist/signing.js';
import { launchChromium } from '../src/chromium.js';
import { startDocsServer } from '../src/serve.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const site = JSON.parse(readFileSync(join(packageDir, 'dist', 'openapi.json'), 'utf8'));
const SEED = 'projectManufacturing_pushOrderExecutionToSparePartsUse';
const SEED_PATH = '/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup';
const SECRET = 'tryit-secret-token-7f3a9';
const CREDENTIALS = {
  'access_token · 访问令牌': SECRET,
  'groupName · 集团名': 'dev',
  'accountid · 账套 ID': 'dev',
  'X-GW-Router-Addr · 路由地址': 'https://tf.jdy.com',
};
const operationOf = (item) => Object.values(item).find((value) => value?.operationId);
const operationIdOf = (path) => operationOf(site.paths[path]).operationId;

let docs;
let mock;
let browser;
/** Servers on other origins that answer what a test gives them, with CORS; each records what it received. */
const standIns = [];

/** A server on its own origin that answers every call with `answer(req, body)` ({ status, body }), CORS open. */
async function standIn(answer) {
  const received = [];
  const server = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', '*');
    res.setHeader('access-control-allow-methods', 'GET, POST');
    if (req.method === 'OPTIONS') return res.writeHead(204).end();
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      const out = answer(req, body);
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
    });
  });
  const url = await listen(server, 0, '127.0.0.1');
  standIns.push(server);
  return { url, received };
}

beforeAll(async () => {
  mkdirSync(join(packageDir, 'test-results'), { recursive: true });
  docs = await startDocsServer({ port: 0, log: () => {} });
  mock = await startMock({ port: 0 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await docs?.close();
  await mock?.close();
  await Promise.all(standIns.map((s) => close(s)));
});

/** A fresh reader: a new context (its own storage), every request and console line it makes recorded. */
async function reader({ colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme });
  const page = await context.newPage();
  const requests = [];
  const console = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => console.push(message.text()));
  return { context, page, requests, console };
}

/** Opens an operation's page and its Try it panel. */
async function open(page, operationId) {
  await page.goto(`${docs.url}/#operation/${operationId}`);
  // The panel of this operation (Redoc may still show the one opened before while it moves on).
  const panel = page.getByRole('form', { name: '试一试 · Try it' }).and(page.locator(`[data-operation="${operationId.toLowerCase()}"]`));
  await panel.waitFor({ timeout: 20_000 });
  return panel;
}

/**
 * Types the four credentials (all, or all but `skip`) and the target URL, then presses Send with the keyboard.
 * @param {any} panel @param {string} target
 * @param {{ skip?: string[], credentials?: Record<string, string> }} [options]
 */
async function fillAndSend(panel, target, { skip = [], credentials = CREDENTIALS } = {}) {
  for (const [label, value] of Object.entries(credentials)) if (!skip.includes(label)) await panel.getByLabel(label).fill(value);
  await panel.getByRole('textbox', { name: '其他地址 · Other URL' }).fill(target);
  await panel.getByRole('button', { name: '发送 · Send' }).focus();
  await panel.page().keyboard.press('Enter');
  const verdict = panel.locator('.qzz-tryit-verdict');
  await expect.poll(() => verdict.textContent(), { timeout: 20_000 }).not.toMatch(/^(核对中…|$)/);
  return verdict;
}

describe('Try it', () => {
  it('is on every operation, next to its samples, with the documented example and the values that select the action', async () => {
    const { context, page } = await reader();
    for (const [path, item] of Object.entries(site.paths)) {
      const operation = operationOf(item);
      const panel = await open(page, operation.operationId);
      // In the right panel that holds the samples.
      expect(await panel.evaluate((el) => Boolean(el.parentElement?.querySelector('.panel-request-samples'))), path).toBe(true);
      const editor = panel.getByRole('textbox', { name: /请求体|查询参数/ });
      const text = await editor.inputValue();
      const action = operation['x-qzz-actions'][0];
      if (Object.keys(action.select).length) {
        const selects = await panel.locator('.qzz-tryit-select').textContent();
        if (Object.keys(action.select).length) expect(selects).toContain(JSON.stringify(action.select));
        else expect(selects).toContain("Selected by the body's shape");
        for (const [key, value] of Object.entries(action.select))
          if (typeof value === 'string') expect(text, path).toContain(`"${key}": "${value}"`);
      }
      if (operation.requestBody?.content?.['text/plain']) expect(JSON.parse(text), path).toBeTypeOf('object');
    }
    await context.close();
  }, 180_000);

  it('sends each action of a shared route with the values that select it, and the checker picks that action', async () => {
    const path = '/mxoc_pom/pomsaveandaudit';
    const operation = operationOf(site.paths[path]);
    const { context, page } = await reader();
    for (const [i, action] of operation['x-qzz-actions'].entries()) {
      const panel = await open(page, operation.operationId);
      await panel.getByLabel('动作 · Action').selectOption(String(i));
      const sent = await panel.getByRole('textbox', { name: /请求体/ }).inputValue();
      const selects = await panel.locator('.qzz-tryit-select').textContent();
      if (Object.keys(action.select).length) expect(selects).toContain(JSON.stringify(action.select));
      else expect(selects).toContain("Selected by the body's shape");
      const verdict = await fillAndSend(panel, mock.url);
      expect(await verdict.textContent(), action.name).toContain(`Action the body selects: ${action.name}`);
      expect(JSON.parse(sent), action.name).toMatchObject(action.select);
      await page.goto(`${docs.url}/`);
    }
    await context.close();
  });

  it('sends the seed action to the mock and says the answer matches', async () => {
    const { context, page } = await reader();
    const panel = await open(page, SEED);
    const verdict = await fillAndSend(panel, mock.url);
    expect(await verdict.textContent()).toContain('✓ 符合规范 · matches');
    expect(await panel.locator('.qzz-tryit-status').textContent()).toMatch(/^200 OK · \d+ ms$/);
    expect(await panel.getByLabel('应答体 · Answer body').textContent()).toContain('"billno": "BJLL-20230306-0001"');
    expect(await panel.locator('.qzz-tryit-headers').textContent()).toMatch(/content-type: application\/json/);
    await page.screenshot({ path: join(packageDir, 'test-results', 'try-it-matches.png') });
    await context.close();
  });

  it('sends a text/plain action as JSON text, as the client does, and checks its answer', async () => {
    const { context, page } = await reader();
    const stand = await standIn(() => ({ status: 200, body: { success: true } }));
    const path = Object.keys(site.paths).find((p) => operationOf(site.paths[p]).requestBody?.content?.['text/plain']);
    const panel = await open(page, operationIdOf(path));
    const sent = await panel.getByRole('textbox', { name: /请求体/ }).inputValue();
    await fillAndSend(panel, stand.url);
    expect(stand.received[0].headers['content-type']).toBe('text/plain');
    expect(stand.received[0].body).toBe(sent);
    const mockPanel = await open(page, operationIdOf(path));
    expect(await (await fillAndSend(mockPanel, mock.url)).textContent()).toContain('✓ 符合规范 · matches');
    await context.close();
  });

  it('names the pointers where an answer drifts from the spec: a number for a string, a missing field', async () => {
    const documented = structuredClone(site.components.examples.pushOrderExecutionToSparePartsUse_response.value);
    documented.data.billno = 20230306;
    delete documented.data.billstatus;
    const stand = await standIn(() => ({ status: 200, body: documented }));
    const { context, page } = await reader();
    const verdict = await fillAndSend(await open(page, SEED), stand.url);
    const items = await verdict.locator('li').allTextContents();
    expect(await verdict.textContent()).toContain('✗ 应答与规范不符 · The answer departs from the spec');
    expect(items).toEqual([
      expect.stringMatching(/^\/data\/billno 类型不符 · wrong type — spec: type string; seen: integer$/),
      expect.stringMatching(/^\/data\/billstatus 缺少字段 · missing field — /),
    ]);
    // What the stand-in received is the call as the client makes it: the four values, the body with its selector.
    const [call] = stand.received;
    expect(call.url).toBe(`${SEED_PATH}?access_token=${SECRET}`);
    expect(call.headers).toMatchObject({ groupname: 'dev', accountid: 'dev', 'x-gw-router-addr': 'https://tf.jdy.com' });
    expect(JSON.parse(call.body)).toMatchObject({ operation: 'push' });
    await page.screenshot({ path: join(packageDir, 'test-results', 'try-it-drift.png') });
    await context.close();
  });

  it("shows the mock's 401 and its list of what is missing when a credential is left out", async () => {
    const { context, page } = await reader();
    const panel = await open(page, SEED);
    await fillAndSend(panel, mock.url, { skip: ['accountid · 账套 ID'] });
    expect(await panel.locator('.qzz-tryit-status').textContent()).toMatch(/^401 /);
    expect(await panel.locator('.qzz-tryit-failure').allTextContents()).toEqual(['缺少凭据 · Missing credentials: accountid']);
    expect(JSON.parse(await panel.locator('.qzz-tryit-body').textContent()).missing).toEqual(['accountid']);
    await context.close();
  });

  it('shows a business failure with its errorCode', async () => {
    const stand = await standIn(() => ({ status: 200, body: { success: false, errorCode: '1030002006' } }));
    const { context, page } = await reader();
    const panel = await open(page, SEED);
    await fillAndSend(panel, stand.url);
    expect(await panel.locator('.qzz-tryit-failure').allTextContents()).toEqual(['业务失败 · Business failure: errorCode "1030002006"']);
    await context.close();
  });

  it('signs the gateway’s own calls in the page, as the client signs them', async () => {
    const stand = await standIn(() => ({ status: 200, body: { errcode: 0, description: 'success', data: [] } }));
    const { context, page } = await reader();
    const panel = await open(page, operationIdOf('/jdyconnector/app_management/push_app_authorize'));
    const app = {
      'Client ID · 应用 ID': 'app-id-1',
      'Client secret · 应用密钥': 'app-secret-9d2c1',
      'outerInstanceId · 外部实例 ID': 'inst-42',
    };
    await fillAndSend(panel, stand.url, { credentials: app });
    const [call] = stand.received;
    const url = new URL(call.url, 'http://x');
    expect(url.searchParams.get('outerInstanceId')).toBe('inst-42');
    // The signature the client makes for the same call, nonce and time.
    const expected = await signedHeaders(
      { clientId: 'app-id-1', clientSecret: 'app-secret-9d2c1' },
      'POST',
      url.pathname,
      Object.fromEntries(url.searchParams),
      { now: Number(call.headers['x-api-timestamp']), nonce: call.headers['x-api-nonce'] },
    );
    expect(call.headers['x-api-signature']).toBe(expected['X-Api-Signature']);
    expect(call.headers['x-api-clientid']).toBe('app-id-1');
    expect(JSON.stringify(call)).not.toContain('app-secret-9d2c1');
    await context.close();
  });

  it('keeps the credentials in sessionStorage only: never in the URL, localStorage, a cookie, the console or the page', async () => {
    const stand = await standIn(() => ({ status: 500, body: { echoed: SECRET, message: `bad token ${SECRET}` } }));
    const { context, page, console } = await reader();
    const panel = await open(page, SEED);
    await fillAndSend(panel, stand.url);
    const storage = await page.evaluate(() => ({
      url: location.href,
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      cookie: document.cookie,
      text: document.body.textContent,
    }));
    expect(storage.session).toContain(SECRET);
    for (const place of [storage.url, storage.local, storage.cookie, storage.text, ...console]) expect(place).not.toContain(SECRET);
    expect((await context.cookies()).map((c) => c.value).join()).not.toContain(SECRET);
    // The echoed token is blanked out of the answer shown.
    expect(await panel.locator('.qzz-tryit-body').textContent()).toContain('[redacted]');
    // A new tab of the same reader starts empty: sessionStorage lives per tab.
    const other = await context.newPage();
    await other.goto(`${docs.url}/#operation/${SEED}`);
    const again = other.getByRole('form', { name: '试一试 · Try it' });
    await again.waitFor({ timeout: 20_000 });
    expect(await again.getByLabel('access_token · 访问令牌').inputValue()).toBe('');
    // The same tab, reloaded, keeps them.
    await page.reload();
    await (await open(page, SEED)).getByLabel('access_token · 访问令牌').waitFor();
    expect(await page.getByLabel('access_token · 访问令牌').inputValue()).toBe(SECRET);
    await context.close();
  });

  it('makes no request beyond its own origin until Send is pressed', async () => {
    const { context, page, requests } = await reader();
    const panel = await open(page, SEED);
    for (const [label, value] of Object.entries(CREDENTIALS)) await panel.getByLabel(label).fill(value);
    await panel.getByRole('textbox', { name: '其他地址 · Other URL' }).fill(mock.url);
    await page.waitForLoadState('networkidle');
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => !url.startsWith(`${docs.url}/`) && !url.startsWith('data:') && !url.startsWith('blob:'))).toEqual([]);
    // Not even the checker: it comes with the first Send.
    expect(requests.filter((url) => /openapi\.json|tryit-verdict/.test(url))).toEqual([]);
    await context.close();
  });

  it('is usable from the keyboard alone: Tab reaches each field in order, Ctrl+Enter sends', async () => {
    const { context, page } = await reader();
    const panel = await open(page, SEED);
    await panel.getByRole('textbox', { name: /请求体/ }).focus();
    const reached = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      reached.push(
        await page.evaluate(() => {
          const focused = /** @type {HTMLInputElement | null} */ (document.activeElement);
          return focused?.labels?.[0]?.textContent ?? focused?.textContent ?? '';
        }),
      );
    }
    expect(reached).toEqual(
      expect.arrayContaining([
        'access_token · 访问令牌',
        'groupName · 集团名',
        'accountid · 账套 ID',
        'X-GW-Router-Addr · 路由地址',
        '发送 · Send',
      ]),
    );
    for (const [label, value] of Object.entries(CREDENTIALS)) await panel.getByLabel(label).fill(value);
    await panel.getByRole('textbox', { name: '其他地址 · Other URL' }).fill(mock.url);
    await panel.getByRole('textbox', { name: /请求体/ }).focus();
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => panel.locator('.qzz-tryit-verdict').textContent(), { timeout: 20_000 }).toContain('matches');
    await context.close();
  });

  it("is readable in the site's dark mode", async () => {
    const { context, page } = await reader({ colorScheme: 'dark' });
    const panel = await open(page, SEED);
    expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true);
    await fillAndSend(panel, mock.url);
    // WCAG's contrast ratio of each text's colour on the panel's background.
    const ratios = await panel.evaluate((form) => {
      const luminance = (color) => {
        const [r, g, b] = color
          .match(/\d+(\.\d+)?/g)
          .slice(0, 3)
          .map((v) => {
            const c = Number(v) / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const ratio = (a, b) => {
        const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m);
        return (x + 0.05) / (y + 0.05);
      };
      const background = getComputedStyle(form).backgroundColor;
      return {
        background,
        texts: [...form.querySelectorAll('h3, label, legend, p, li, pre, textarea, input[type=text]')].map((el) => {
          const own = getComputedStyle(el).backgroundColor;
          const behind = own === 'rgba(0, 0, 0, 0)' ? background : own;
          return [el.tagName, ratio(getComputedStyle(el).color, behind)];
        }),
      };
    });
    expect(ratios.background).not.toBe('rgb(255, 255, 255)');
    for (const [tag, ratio] of ratios.texts) expect(ratio, tag).toBeGreaterThanOrEqual(4.5);
    await page.screenshot({ path: join(packageDir, 'test-results', 'try-it-dark.png') });
    await context.close();
  });
});
