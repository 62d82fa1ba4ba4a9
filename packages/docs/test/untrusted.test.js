// The site treats the spec's text as untrusted: a description holding HTML that runs script (a vendor title
// that reached a draft through `pnpm spec:add`, say) is shown, never run (Redoc passes Markdown's HTML through
// DOMPurify, and React refuses `javascript:` links; this guards both). Built from a copy of the
// bundle with such text planted, served from loopback, opened in a real headless Chromium.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { listOperations } from '@qzz/spec/actions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../src/chromium.js';
import { startDocsServer } from '../src/serve.js';

const run = promisify(execFile);
const BUILD = fileURLToPath(new URL('../scripts/build.js', import.meta.url));

/** Markup that runs script where HTML is rendered as it stands: each sets `window.pwned` to where it was put. */
const payloads = (where) =>
  [
    `<img src="x" onerror="window.pwned = '${where} img'">`,
    `<svg onload="window.pwned = '${where} svg'"></svg>`,
    `<a href="javascript:window.pwned = '${where} link'" id="pwn-${where}">click</a>`,
    `[markdown link](javascript:window.pwned='${where}-md')`,
  ].join(' ');

const PLANTED_TITLE = `Planted </script><img src=x onerror="window.pwned = 'try it'"> <!-- ]]>`;

let dir;
let docs;
let browser;
let page;
let operationId;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qzz-docs-untrusted-'));
  const bundle = JSON.parse(await readFile(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
  const { operation } = listOperations(bundle)[0];
  operationId = operation.operationId;
  operation.description = `Planted: ${payloads('operation')}`;
  const tag = bundle.tags.find((t) => t.name === operation.tags[0]);
  tag.description = `Planted: ${payloads('tag')}`;
  const schema = Object.values(bundle.components.schemas).find((s) => s.properties);
  const [field] = Object.keys(schema.properties);
  schema.properties[field] = { ...schema.properties[field], description: `Planted: ${payloads('field')}` };
  bundle.info.description = `${bundle.info.description}\n\nPlanted: ${payloads('info')}`;
  // An action's title reaches Try it's data, which the page carries in a script element.
  operation['x-qzz-actions'][0].summary = PLANTED_TITLE;
  await writeFile(join(dir, 'openapi.json'), JSON.stringify(bundle));
  await run(process.execPath, [BUILD, '--spec', join(dir, 'openapi.json'), '--out', join(dir, 'site')]);
  docs = await startDocsServer({ port: 0, root: join(dir, 'site') });
  browser = await launchChromium();
  page = await browser.newPage();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await docs?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('text of the spec that holds markup', () => {
  it('is shown on the page and runs nothing, also when its links are clicked', async () => {
    await page.goto(`${docs.url}/#operation/${operationId}`);
    // The operation's description and its module's are on this page: each planted link is there, and clicked.
    for (const id of ['pwn-operation', 'pwn-tag']) {
      const link = page.locator(`#${id}`);
      await link.waitFor({ state: 'attached' });
      await link.click({ force: true }).catch(() => {});
    }
    expect(await page.evaluate(() => /** @type {any} */ (window).pwned)).toBeUndefined();
    // The markup is defused: its elements are kept without their handlers, and React swaps a planted
    // `javascript:` href for one that only throws.
    expect(await page.locator('p:has-text("Planted:") img').count()).toBeGreaterThan(0);
    expect(await page.locator('[onerror], [onload]').count()).toBe(0);
    for (const href of await page.locator('a[id^="pwn-"]').evaluateAll((links) => links.map((a) => a.getAttribute('href'))))
      expect(href).not.toContain('window.pwned');
  });

  it("stays text in Try it's data and panel", async () => {
    await page.goto(`${docs.url}/#operation/${operationId}`);
    await page.locator(`form.qzz-tryit[data-operation="${operationId.toLowerCase()}"]`).waitFor({ timeout: 20_000 });
    const data = await page.evaluate(() => JSON.parse(document.getElementById('qzz-tryit-data')?.textContent ?? '{}'));
    expect(data[operationId.toLowerCase()].actions[0].title).toContain(PLANTED_TITLE);
    expect(await page.evaluate(() => /** @type {any} */ (window).pwned)).toBeUndefined();
  });
});
