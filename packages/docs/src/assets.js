// @ts-check
// The built site made light: Redoc's library moved out of the page into a file named by its content (cached for
// good by a browser: a new build that changes it gives it a new name), and every text file compressed once, at
// build time, as brotli and gzip copies beside it (`index.html.br`, `index.html.gz`) that the server sends to a
// browser that accepts them (src/serve.js). The page as Redoc writes it is 2.7 MB, 2.3 MB of it Redoc's library.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Where the content-named files live, relative to the site's root. */
export const ASSETS_DIR = 'assets';

/**
 * Every file under assets/ is named by its content (`assets/redoc.3f9a0c1b2d4e.js`, esbuild's `tryit.QX4TB2HM.js`):
 * its name changes whenever its bytes do, so a browser may keep it for good.
 */
export const HASHED_ASSET = /^\/assets\/[^/]+$/;

/** The files worth compressing (text); images other than SVG and fonts are compressed already. */
export const COMPRESSIBLE = new Set(['.html', '.js', '.json', '.svg', '.css', '.xml', '.atom', '.txt', '.map']);

/** The precompressed copies, by content coding, as the file name's suffix. */
export const ENCODINGS = /** @type {const} */ ({ br: '.br', gzip: '.gz' });

/** The first 12 hex digits of the SHA-256 of `bytes`: a content name. */
export const contentHash = (/** @type {string | Buffer} */ bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);

/**
 * Writes `text` under assets/ named `<stem>.<content hash><ext>`; returns its URL relative to the page.
 * @param {string} dist @param {string} stem @param {string} ext @param {string | Buffer} text
 */
export function writeHashedAsset(dist, stem, ext, text) {
  const name = `${stem}.${contentHash(text)}${ext}`;
  mkdirSync(join(dist, ASSETS_DIR), { recursive: true });
  writeFileSync(join(dist, ASSETS_DIR, name), text);
  return `./${ASSETS_DIR}/${name}`;
}

// Redoc's page holds one inline module: its library (which ends by exporting `hydrate`), then the document and
// the options, then the call that hydrates the pre-rendered page with them.
const LIBRARY_END = 'export{RedocStandalone,hydrate,init};';

/**
 * Moves Redoc's library out of the page into `assets/redoc.<hash>.js`; the page's module imports it.
 * @param {string} html the page as `redocly build-docs --inlineBundle` writes it
 * @param {string} dist
 * @returns {string} the page
 */
export function splitRedocLibrary(html, dist) {
  const open = '<script type="module">';
  const start = html.indexOf(open);
  const end = html.indexOf(LIBRARY_END, start);
  if (start < 0 || end < 0) throw new Error("Redoc's page has changed: its library module was not found (see src/assets.js).");
  const library = html.slice(start + open.length, end + LIBRARY_END.length);
  const url = writeHashedAsset(dist, 'redoc', '.js', library);
  const page = `${html.slice(0, start + open.length)}\nimport { hydrate } from ${JSON.stringify(url)};${html.slice(end + LIBRARY_END.length)}`;
  // Fetched (and compiled) while the rest of the page is read, not once the parser reaches the module at its end.
  return page.replace('</title>', `</title>\n  <link rel="modulepreload" href="${url}">`);
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(/** @type {string} */ dir) {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => statSync(join(dir, path)).isFile());
}

/**
 * Brotli's quality: 10 makes Redoc's library 528 KB in 2.2 s of CPU; 11 makes it 519 KB in 4.1 s (every build
 * of the site, the tests' builds included, would pay the difference) and 9 makes it 571 KB in 0.25 s.
 */
const BROTLI_QUALITY = 10;

/**
 * Writes a brotli and a gzip copy beside every compressible file of the site (once per build, not per
 * request); a copy that would not be smaller is not written.
 * @param {string} dist
 * @returns {{ file: string, bytes: number, br?: number, gzip?: number }[]} what was written
 */
export function precompress(dist) {
  const written = [];
  for (const path of filesUnder(dist)) {
    if (!COMPRESSIBLE.has(extname(path))) continue;
    const bytes = readFileSync(join(dist, path));
    /** @type {{ file: string, bytes: number, br?: number, gzip?: number }} */
    const row = { file: relative(dist, join(dist, path)), bytes: bytes.length };
    const copies = {
      br: brotliCompressSync(bytes, {
        params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
      }),
      gzip: gzipSync(bytes, { level: 9 }),
    };
    for (const [coding, copy] of /** @type {[keyof typeof ENCODINGS, Buffer][]} */ (Object.entries(copies))) {
      if (copy.length >= bytes.length) continue;
      writeFileSync(join(dist, `${path}${ENCODINGS[coding]}`), copy);
      row[coding] = copy.length;
    }
    written.push(row);
  }
  return written;
}
