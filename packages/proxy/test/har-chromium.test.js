// A HAR recorded by real headless Chromium (issue 17, item 5): a page calls every business action of the mock
// through a browser build of @qzz/client (bundled here with Vite), Playwright records the HAR (`recordHar`), and
// readHar reads it back for the checker: the mock answers as the spec says, so the check reports nothing. The page
// is served at the mock's own origin (Playwright's `page.route` fulfils the HTML), so the calls are same-origin
// and no CORS preflight is made.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '@qzz/docs/chromium';
import { startMock } from '@qzz/mock';
import { moduleKey } from '@qzz/spec/actions';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHar } from '../src/har.js';
import { business, checkReading, doc } from './har-files.js';

/** The browser build of the client: one ES module, no Node built-ins. */
async function browserClient() {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    root: new URL('..', import.meta.url).pathname,
    build: { write: false, minify: false, lib: { entry: 'test/fixtures/browser-client.js', formats: ['es'], fileName: 'client' } },
  });
  const output = /** @type {any} */ (Array.isArray(result) ? result[0] : result).output;
  return output[0].code;
}

/** Each business action's client function (module and name) and its documented request body. */
const calls = business.map((action) => {
  const slug = doc.tags.find((t) => t.name === action.tag)['x-qzz-module'];
  const value = doc.components.examples[action.examples.request].value;
  return { module: moduleKey(slug), name: action.name, body: typeof value === 'string' ? JSON.parse(value) : value };
});

/** The page: the client's module, then every call, one after another; `window.done` holds what each resolved to. */
const page = (client) => `<!doctype html><meta charset="utf-8"><title>qzz</title>
<script type="module">
${client}
const client = createQzzClient({
  baseUrl: location.origin,
  credentials: { accessToken: 'browser-token', groupName: 'grp', accountId: 'acct', routerAddr: 'https://tf.jdy.com' },
});
const results = [];
for (const call of ${JSON.stringify(calls)}) {
  try {
    await client[call.module][call.name](call.body);
    results.push('ok');
  } catch (error) {
    results.push(error.name + ': ' + error.message);
  }
}
window.done = results;
</script>`;

describe('a HAR recorded by headless Chromium', () => {
  let dir;
  let mock;
  let harPath;
  let results;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qzz-proxy-har-chromium-'));
    harPath = join(dir, 'chromium.har');
    mock = await startMock({ port: 0 });
    const html = page(await browserClient());
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ recordHar: { path: harPath } });
      const tab = await context.newPage();
      await tab.route(`${mock.url}/`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
      await tab.goto(`${mock.url}/`);
      await tab.waitForFunction(() => /** @type {any} */ (window).done, undefined, { timeout: 60_000 });
      results = await tab.evaluate(() => /** @type {any} */ (window).done);
      await context.close(); // writes the HAR
    } finally {
      await browser.close();
    }
  });
  afterAll(async () => {
    await mock?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('recorded every call, as Chromium writes it', async () => {
    expect(results).toEqual(calls.map(() => 'ok'));
    const har = JSON.parse(await readFile(harPath, 'utf8'));
    const apiEntries = har.log.entries.filter((e) => e.request.method === 'POST');
    expect(apiEntries).toHaveLength(calls.length);
    // Chromium writes the JSON body's text, the answer's text, and its own `_` members.
    expect(apiEntries.every((e) => typeof e.request.postData?.text === 'string' && typeof e.response.content.text === 'string')).toBe(true);
  });

  it("reads it back and checks it: the mock's answers match the spec, no report line", async () => {
    const reading = readHar(harPath);
    const { lines, exchanges, unchecked } = await checkReading(reading);
    expect([exchanges, unchecked]).toEqual([calls.length, 0]);
    // The page itself is the other entry: not the gateway's.
    expect(reading.skipped.byReason).toEqual({ 'not-gateway': reading.entries - calls.length });
    expect(lines).toEqual([]);
  });
});
