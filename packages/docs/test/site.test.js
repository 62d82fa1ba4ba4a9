// The built site in a real headless Chromium, served from loopback.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listOperations } from '@qzz/spec/actions';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDocsServer } from '../src/serve.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
const artifacts = join(packageDir, 'test-results');

let docs;
let browser;
let page;
const requests = [];

beforeAll(async () => {
  docs = await startDocsServer({ port: 0 });
  browser = await chromium.launch({
    executablePath: process.env.QZZ_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
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
    for (const guide of ['Getting started', 'Authentication', 'Coverage', 'Bill flow']) expect(text).toContain(guide);
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

  it('renders the Coverage page with counts per module', async () => {
    await page.goto(`${docs.url}/#tag/Coverage`);
    const heading = page.locator('#coverage-project-manufacturing');
    await heading.waitFor({ timeout: 10_000 });
    expect(await heading.textContent()).toMatch(/非标生产 · Project manufacturing — 6 of 9 specified/);
    const body = await page.locator('body').textContent();
    expect(body).toMatch(/17 of them are specified/);
    expect(body).toContain('not specified');
  });

  it('renders the Bill flow diagram, an SVG with the vendor\'s bill names', async () => {
    await page.goto(`${docs.url}/#tag/Bill-flow`);
    const diagram = page.locator('img.qzz-bill-flow');
    await diagram.waitFor({ timeout: 10_000 });
    await expect.poll(() => diagram.evaluate((img) => img.complete && img.naturalWidth)).toBeGreaterThan(400);
    const svg = await (await fetch(`${docs.url}/bill-flow.svg`)).text();
    for (const name of ['工单执行', '备品备件领用单', '收料通知单', '委外入库单', '委外工序接收单', '生产入库单', '生产报废单']) expect(svg).toContain(name);
    await diagram.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'bill-flow.png') });
  });

  it('finds operations with its search', async () => {
    await page.getByText('Search').first().click();
    await page.keyboard.type('差旅申请单');
    const results = page.locator('[data-component-name="Search/SearchItem"]');
    await results.first().waitFor({ timeout: 10_000 });
    expect(await results.allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('差旅申请单审核')]));
    await page.keyboard.press('Escape');
  });

  it('makes no request beyond loopback', async () => {
    expect(requests.length).toBeGreaterThan(0);
    const outside = requests.filter((url) => !url.startsWith(docs.url) && !url.startsWith('blob:' + docs.url) && !url.startsWith('data:'));
    expect(outside).toEqual([]);
    await page.goto(`${docs.url}/`);
    await page.screenshot({ path: join(artifacts, 'docs.png') });
  });
});
