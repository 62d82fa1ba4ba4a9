// The built site in a real headless Chromium, served from loopback.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listActions, listOperations } from '@qzz/spec/actions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../src/chromium.js';
import { startDocsServer } from '../src/serve.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
// The document the page renders: its code samples are those test/samples.test.js runs against the mock.
const site = JSON.parse(readFileSync(join(packageDir, 'dist', 'openapi.json'), 'utf8'));
const artifacts = join(packageDir, 'test-results');

let docs;
let browser;
let page;
const requests = [];

beforeAll(async () => {
  docs = await startDocsServer({ port: 0 });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  // The samples' Copy buttons write to the clipboard; the test reads it back.
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: docs.url });
  page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`${docs.url}/`);
  await menu().waitFor();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await docs?.close();
});

const menu = () => page.locator('[data-component-name="Menu/Menu"]').first();

describe('the documentation site', () => {
  it('shows all 20 vendor modules, in Chinese and English, in the navigation', async () => {
    const text = await menu().textContent();
    expect(doc.tags).toHaveLength(20);
    for (const tag of doc.tags) expect(text).toContain(`${tag.name} · ${tag['x-displayName']}`);
    for (const guide of ['Getting started', 'Authentication', 'Coverage', 'Bill flow', 'Changelog']) expect(text).toContain(guide);
  });

  it('lists every operation summary under its module', async () => {
    const summaries = listOperations(doc).map(({ operation }) => [operation.tags[0], operation.summary]);
    expect(summaries).toHaveLength(14);
    // Opening a module shows its operations (and may close the one opened before).
    for (const tag of new Set(summaries.map(([t]) => t))) {
      const name = `${tag} · ${doc.tags.find((t) => t.name === tag)['x-displayName']}`;
      await menu().getByText(name, { exact: true }).click();
      const text = await menu().textContent();
      for (const [, summary] of summaries.filter(([t]) => t === tag)) expect(text, name).toContain(summary);
    }
  });

  it("renders an operation's actions and its documented examples", async () => {
    await page.goto(`${docs.url}/#operation/projectManufacturing_pushOrderExecutionToSparePartsUse`);
    const content = page.locator('[data-component-name="Layout/ThreePanelLayout"]').first();
    await expect.poll(() => content.textContent(), { timeout: 10_000 }).toContain('pushOrderExecutionToSparePartsUse_response');
    const text = await content.textContent();
    expect(text).toContain('"1634800180022794240"');
    expect(text).toContain('Vendor actions on this route (1)');
    expect(await page.content()).toContain('BJLL-20230306-0001');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'seed-operation.png') });
  });

  it("shows an action's code samples in the right panel, and copies exactly the sample the tests run", async () => {
    const operation = site.paths['/mxoc_pom/pomsaveandaudit'].post;
    await page.goto(`${docs.url}/#operation/${operation.operationId}`);
    const panel = page.locator('.panel-request-samples').first();
    const language = panel.locator('[data-component-name="Panel/PanelHeader"] [data-component-name="Dropdown/Dropdown"]').last();
    await language.waitFor({ timeout: 10_000 });
    const labels = operation['x-codeSamples'].map((sample) => sample.label);
    expect(labels).toContain('TypeScript · saveAuditProductionReturnStock');
    await language.locator('button').first().click();
    // One choice per action and language, then the request payload.
    await expect.poll(() => page.locator('[role="menuitem"]:visible').allTextContents()).toEqual([...labels, 'Payload']);
    for (const sample of operation['x-codeSamples'].filter((s) =>
      /saveAuditProductionReturnStock|pushProductionInStockToScrap/.test(s.label),
    )) {
      if (!(await page.locator('[role="menuitem"]:visible').count())) await language.locator('button').first().click();
      await page.locator('[role="menuitem"]:visible').filter({ hasText: sample.label }).first().click();
      const code = panel.locator('pre[data-testid="source-code"]').first();
      await expect.poll(() => code.textContent(), { timeout: 10_000 }).toContain(sample.source.split('\n')[0]);
      expect(await code.isVisible()).toBe(true);
      expect((await code.textContent()).trim(), sample.label).toBe(sample.source.trim());
      await page.evaluate(() => navigator.clipboard.writeText(''));
      await code.locator('xpath=..').locator('[data-testid="copy-button"]').click();
      expect(await page.evaluate(() => navigator.clipboard.readText()), sample.label).toBe(sample.source);
    }
    await page.screenshot({ path: join(artifacts, 'code-sample.png') });
  });

  it('shows English beside every vendor label and title, and marks unlabelled fields', async () => {
    const operation = site.paths['/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup'].post;
    // A fresh tab opened on the operation's link, as a reader arriving from elsewhere.
    const reader = await page.context().newPage();
    await reader.goto(`${docs.url}/#operation/${operation.operationId}`);
    const content = reader.locator('[data-component-name="Layout/ThreePanelLayout"]').first();
    await expect
      .poll(() => content.textContent(), { timeout: 10_000 })
      .toContain('工单执行下推备品备件 · Push work order execution down to spare parts');
    // The answer's `data` (the bill): open it as a reader would, then read what the page shows.
    await content.locator('span:has(> span > a[aria-label="link to data"]) > span').last().click();
    const bill = doc.components.schemas.SparePartsUseBill.properties;
    await expect.poll(() => content.textContent(), { timeout: 10_000 }).toContain('单据编号 · Bill number');
    const text = (await content.textContent()).replace(/\s+/g, ' ');
    const labelled = Object.values(bill).filter((p) => /^[\u3400-\u9fff]/.test(p.description ?? ''));
    // The seed's table labels five of the bill's own fields (单据id, 单据编号, 单据状态, 业务类型, 单据日期).
    expect(labelled.length).toBeGreaterThanOrEqual(5);
    for (const property of labelled) expect(text).toContain(property.description.replace(/`/g, '').replace(/\s+/g, ' '));
    // Redoc shows an extension without its `x-`: each unlabelled field of the bill carries the marker.
    const unlabelled = Object.values(bill).filter((p) => p['x-qzz-label'] === 'none');
    expect(unlabelled.length).toBeGreaterThan(10);
    expect(text.match(/qzz-label: none/g)?.length).toBeGreaterThanOrEqual(unlabelled.length);
    await reader.screenshot({ path: join(artifacts, 'english-labels.png') });
    // The legend, once, on the landing page.
    await reader.goto(`${docs.url}/`);
    await expect
      .poll(() => reader.locator('body').textContent(), { timeout: 10_000 })
      .toContain("x-qzz-label: none: the vendor's page gives the field no label");
    await reader.close();
  });

  it('renders the Coverage page with counts per module', async () => {
    await page.goto(`${docs.url}/#tag/Coverage`);
    const heading = page.locator('#coverage-project-manufacturing');
    await heading.waitFor({ timeout: 10_000 });
    expect(await heading.textContent()).toMatch(/非标生产 · Project manufacturing — 6 of 9 specified/);
    const body = await page.locator('body').textContent();
    expect(body).toMatch(/17 of them are specified/);
    expect(body).toContain('not specified');
    // A group the module map infers is not shown as the vendor's own (spec/coverage.yaml's groupConfidence).
    expect(body).toContain('售后管理 (inferred)');
  });

  it("renders the Bill flow diagram, an SVG with the vendor's bill names", async () => {
    await page.goto(`${docs.url}/#tag/Bill-flow`);
    const diagram = page.locator('img.qzz-bill-flow');
    await diagram.waitFor({ timeout: 10_000 });
    await expect.poll(() => diagram.evaluate((img) => img.complete && img.naturalWidth)).toBeGreaterThan(400);
    const svg = await (await fetch(`${docs.url}/bill-flow.svg`)).text();
    for (const name of ['工单执行', '备品备件领用单', '收料通知单', '委外入库单', '委外工序接收单', '生产入库单', '生产报废单'])
      expect(svg).toContain(name);
    await diagram.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'bill-flow.png') });
  });

  it("renders the Changelog page: per release and per action, breaking changes marked, linked to the action's page", async () => {
    await page.goto(`${docs.url}/#tag/Changelog`);
    // Each release is a section of its own in the navigation, under Changelog: open 0.2.0 as a reader would.
    for (const release of ['0.3.0 · 2026-12-05', '0.2.0 · 2026-11-29', '0.1.0 · 2026-11-28'])
      await expect.poll(() => menu().textContent(), { timeout: 10_000 }).toContain(release);
    await menu().getByText('0.2.0 · 2026-11-29', { exact: true }).click();
    const content = page.locator('[data-component-name="Layout/ThreePanelLayout"]').first();
    await expect.poll(() => content.textContent(), { timeout: 10_000 }).toContain('214 contract changes since 0.1.0');
    const text = (await content.textContent()).replace(/\s+/g, ' ');
    expect(text).toMatch(/214 contract changes since 0\.1\.0 in \d+ actions, 111 breaking/);
    // The seed action's one change from 0.1.0 to 0.2.0, under its title, linked to its page.
    const link = content.locator('a[href*="projectManufacturing_pushOrderExecutionToSparePartsUse"]', { hasText: '工单执行下推备品备件' });
    expect(await link.count()).toBeGreaterThanOrEqual(2);
    const v2 = text.slice(text.indexOf('214 contract changes since 0.1.0'));
    const seed = v2.slice(v2.indexOf('pushOrderExecutionToSparePartsUse'));
    expect(seed).toMatch(
      /^pushOrderExecutionToSparePartsUse\s*Breaking: response data\.material_entity\[\]\.materialid_model: field removed/,
    );
    await page.screenshot({ path: join(artifacts, 'changelog.png') });
    // The link opens the action's page.
    await link.first().click();
    await expect.poll(() => page.url(), { timeout: 10_000 }).toContain('projectmanufacturing_pushorderexecutiontosparepartsuse');
  });

  it('publishes the changelog as JSON and as an Atom feed with the elements RFC 4287 requires', async () => {
    const changelog = await (await fetch(`${docs.url}/changelog.json`)).json();
    const v2 = changelog.releases.find((r) => r.version === '0.2.0');
    expect(v2).toMatchObject({ previous: '0.1.0', breaking: 111 });
    expect(v2.changes.filter((c) => c.action === 'pushOrderExecutionToSparePartsUse')).toEqual([
      expect.objectContaining({ where: 'response data.material_entity[].materialid_model', change: 'field removed', breaking: true }),
    ]);
    const answer = await fetch(`${docs.url}/changelog.atom`);
    expect(answer.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const atom = await answer.text();
    // Chromium's XML parser: a document that is not well-formed comes back as a <parsererror>.
    const feed = await page.evaluate((text) => {
      const xml = new DOMParser().parseFromString(text, 'application/xml');
      const ns = 'http://www.w3.org/2005/Atom';
      const children = (node, name) => [...node.children].filter((c) => c.namespaceURI === ns && c.localName === name);
      const own = (node) => ({
        id: children(node, 'id').map((e) => e.textContent),
        title: children(node, 'title').map((e) => e.textContent),
        updated: children(node, 'updated').map((e) => e.textContent),
        authors: children(node, 'author').map((a) => children(a, 'name').map((n) => n.textContent)),
        alternate: children(node, 'link').filter((l) => (l.getAttribute('rel') ?? 'alternate') === 'alternate').length,
        content: children(node, 'content').map((c) => c.getAttribute('type')),
      });
      const root = xml.documentElement;
      return {
        error: xml.getElementsByTagName('parsererror').length,
        root: `${root.namespaceURI} ${root.localName}`,
        ...own(root),
        entries: children(root, 'entry').map(own),
      };
    }, atom);
    expect(feed.error).toBe(0);
    expect(feed.root).toBe('http://www.w3.org/2005/Atom feed');
    // atom:feed: exactly one id, title and updated; an author (here the feed's, so entries need none).
    const date = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
    expect([feed.id.length, feed.title.length, feed.updated.length]).toEqual([1, 1, 1]);
    expect(feed.updated[0]).toMatch(date);
    expect(feed.authors).toEqual([['轻智造 API kit']]);
    expect(feed.entries.map((e) => e.title[0].split(':')[0])).toEqual(changelog.releases.map((r) => r.version));
    for (const entry of feed.entries) {
      // atom:entry: exactly one id (an IRI), title and updated; content, or a link rel=alternate.
      expect([entry.id.length, entry.title.length, entry.updated.length]).toEqual([1, 1, 1]);
      expect(entry.id[0]).toMatch(/^[a-z][a-z0-9+.-]*:\S+$/);
      expect(entry.updated[0]).toMatch(date);
      expect(entry.content.length + entry.alternate).toBeGreaterThan(0);
    }
    expect(new Set(feed.entries.map((e) => e.id[0])).size).toBe(feed.entries.length);
  });

  it('finds operations with its search', async () => {
    await page.getByText('Search').first().click();
    await page.keyboard.type('差旅申请单');
    const results = page.locator('[data-component-name="Search/SearchItem"]');
    await results.first().waitFor({ timeout: 10_000 });
    expect(await results.allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('差旅申请单审核')]));
    await page.keyboard.press('Escape');
  });

  it('finds every action by its Chinese title, its English title and its function name', async () => {
    const actions = listActions(site);
    expect(actions.length).toBeGreaterThan(15);
    await page.goto(`${docs.url}/`);
    const results = page.locator('[data-component-name="Search/SearchItem"]');
    const missed = [];
    for (const action of actions) {
      const english = site['x-qzz-titles-en'][action.summary] ?? action.summary;
      const route = `${action.method.toUpperCase()}${action.path}`;
      for (const query of new Set([action.summary, english, action.name])) {
        await page.getByText('Search').first().click();
        await page.keyboard.press('Control+A');
        await page.keyboard.type(query);
        // Found: a result that is the action's operation (each result starts with its method and route).
        const found = await expect
          .poll(async () => (await results.allTextContents()).some((text) => text.startsWith(route)), { timeout: 5_000 })
          .toBe(true)
          .then(
            () => true,
            () => false,
          );
        if (!found) missed.push(`${action.name}: ${query}`);
        await page.keyboard.press('Escape');
      }
    }
    expect(missed).toEqual([]);
  }, 240_000);

  it('makes no request beyond loopback', async () => {
    expect(requests.length).toBeGreaterThan(0);
    const outside = requests.filter((url) => !url.startsWith(docs.url) && !url.startsWith(`blob:${docs.url}`) && !url.startsWith('data:'));
    expect(outside).toEqual([]);
    await page.goto(`${docs.url}/`);
    await page.screenshot({ path: join(artifacts, 'docs.png') });
  });
});
