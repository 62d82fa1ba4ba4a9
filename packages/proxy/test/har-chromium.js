// Recording a HAR with real headless Chromium (issue 17, item 5): a page calls every business action of the mock
// through a browser build of @qzz/client (bundled here with Vite), and Playwright records the HAR (`recordHar`). The
// page is served at the mock's own origin (Playwright's `page.route` fulfils the HTML), so the calls are same-origin
// and no CORS preflight is made. The proxy's tests and @qzz/check's (`check --har`) both read such a recording.
import { launchChromium } from '@qzz/chromium';
import { startMock } from '@qzz/mock';
import { moduleKey } from '@qzz/spec/actions';
import { build } from 'vite';
import { business, doc } from './har-files.js';

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
export const calls = business.map((action) => {
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

/**
 * Records `harPath`: a page at the mock's origin calls every business action once, through the client. Resolves
 * with what each call resolved to in the page (`'ok'`, or the error's name and message), in `calls`' order.
 * @param {string} harPath where Chromium writes the HAR
 * @returns {Promise<string[]>}
 */
export async function recordChromiumHar(harPath) {
  const mock = await startMock({ port: 0 });
  try {
    const html = page(await browserClient());
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ recordHar: { path: harPath } });
      const tab = await context.newPage();
      await tab.route(`${mock.url}/`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
      await tab.goto(`${mock.url}/`);
      await tab.waitForFunction(() => /** @type {any} */ (window).done, undefined, { timeout: 60_000 });
      const results = await tab.evaluate(() => /** @type {any} */ (window).done);
      await context.close(); // writes the HAR
      return results;
    } finally {
      await browser.close();
    }
  } finally {
    await mock.close();
  }
}
