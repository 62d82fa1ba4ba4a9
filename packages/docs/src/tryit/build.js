// @ts-check
// Bundles Try it for the browser (esbuild): the panel (./panel.js, with @qzz/client's signing and secret forms)
// into assets/tryit.<hash>.js, and the verdict (./verdict.js: the proxy's checker, ajv) into a chunk of its own
// that the panel loads on the first Send. Then adds the panel's data and script to the page.
import { build } from 'esbuild';
import { ASSETS_DIR } from '../assets.js';
import { DATA_ELEMENT_ID } from './constants.js';

const ENTRY = new URL('./panel.js', import.meta.url).pathname;

/**
 * Writes the bundle into `<dist>/assets/`; returns the page with Try it in it.
 * @param {string} html the page
 * @param {string} dist
 * @param {Record<string, import('./data.js').TryOperation>} data
 */
export async function addTryIt(html, dist, data) {
  const result = await build({
    entryPoints: { tryit: ENTRY },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    outdir: `${dist}/${ASSETS_DIR}`,
    entryNames: '[name].[hash]',
    chunkNames: 'tryit-[name].[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  const entry = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint)?.[0];
  if (!entry) throw new Error('esbuild wrote no Try it bundle');
  const src = `./${ASSETS_DIR}/${entry.split('/').at(-1)}`;
  // `<` is written as \u003c so no text from the spec can close the script element.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const tags = `<script type="application/json" id="${DATA_ELEMENT_ID}">${json}</script>\n<script type="module" src="${src}"></script>\n`;
  return html.replace('</body>', `${tags}</body>`);
}
