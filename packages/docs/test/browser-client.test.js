// The built @qzz/client in a real headless Chromium, on a page of one loopback origin, calling the mock on
// another: the browser's preflight and its reading of answers are CORS as browsers do it, not as a test thinks.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { close, listen } from '@qzz/http';
import { startMock } from '@qzz/mock';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../src/chromium.js';

const CREDENTIALS = { accessToken: 'dev-token', groupName: 'dev', accountId: 'dev', routerAddr: 'https://tf.jdy.com' };

/** @type {import('node:http').Server} */
let site;
let siteUrl;
let browser;
let page;
/** @type {{ url: string, close(): Promise<unknown> }[]} */
const mocks = [];

/** The client as a browser app gets it: the package's built entry, bundled for the browser by esbuild. */
async function bundledClient() {
  const result = await build({
    entryPoints: [fileURLToPath(import.meta.resolve('@qzz/client'))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

beforeAll(async () => {
  const client = await bundledClient();
  // The page's origin: a page that loads the bundle as an app would, and hands it to the test as `window.qzz`.
  const html = '<!doctype html><title>app</title><script type="module">import * as qzz from "/client.js"; window.qzz = qzz;</script>';
  site = createServer((req, res) => {
    if (req.url === '/client.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(client);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  siteUrl = await listen(site, 0, '127.0.0.1');
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(`${siteUrl}/`);
  await page.waitForFunction(() => 'qzz' in window);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (site) await close(site);
  await Promise.all(mocks.map((mock) => mock.close()));
});

async function mock(options = {}) {
  const started = await startMock({ port: 0, ...options });
  mocks.push(started);
  return started.url;
}

/**
 * Runs a push through the bundled client in the page, against `baseUrl`, with `credentials`; resolves with the
 * bill number, or with what the error the client threw says of itself.
 */
function pushInPage(baseUrl, credentials) {
  return page.evaluate(
    async ({ baseUrl, credentials }) => {
      const client = /** @type {any} */ (window).qzz.createQzzClient({ baseUrl, credentials, retries: 0 });
      try {
        const bill = await client.projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: '1634800180022794240' } });
        return { billno: bill.billno };
      } catch (error) {
        return { name: error.name, status: error.status, description: error.description, message: error.message };
      }
    },
    { baseUrl, credentials },
  );
}

describe('the built client in Chromium, against the mock on another origin', () => {
  it('gets its answer through the browser’s preflight', async () => {
    const url = await mock();
    expect(new URL(url).origin).not.toBe(new URL(siteUrl).origin);
    expect(await pushInPage(url, CREDENTIALS)).toEqual({ billno: 'BJLL-20230306-0001' });
  });

  it('gets a call that lacks a credential as the client’s typed 401 error, not as a network error', async () => {
    const url = await mock({ sandbox: true });
    const failure = await pushInPage(url, { ...CREDENTIALS, groupName: '' });
    expect(failure).toMatchObject({ name: 'QzzGatewayError', status: 401 });
    expect(failure.description).toMatch(/^Missing credentials: groupName\./);
  });

  it('reads the mock’s own headers from the page', async () => {
    const url = await mock({ sandbox: true });
    const headers = await page.evaluate(async (url) => {
      const res = await fetch(`${url}/__sandbox/bills?access_token=t`, {
        headers: { groupName: 'dev', accountid: 'dev', 'X-GW-Router-Addr': 'https://tf.jdy.com' },
      });
      const push = await fetch(`${url}/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup?access_token=t`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', groupName: 'dev', accountid: 'dev', 'X-GW-Router-Addr': 'https://tf.jdy.com' },
        body: JSON.stringify({ operation: 'push', billdata: { id: '1634800180022794240' } }),
      });
      return { bills: res.status, action: push.headers.get('x-qzz-action'), sandbox: push.headers.get('x-qzz-sandbox') };
    }, url);
    expect(headers).toEqual({ bills: 200, action: 'pushOrderExecutionToSparePartsUse', sandbox: 'from-state' });
  });

  it('fails as a network error where the mock does not allow the page’s origin (what every call met before CORS)', async () => {
    for (const cors of [false, ['http://localhost:5173']]) {
      const failure = await pushInPage(await mock({ cors }), CREDENTIALS);
      expect(failure, JSON.stringify(cors)).toMatchObject({ name: 'QzzNetworkError' });
    }
  });
});
