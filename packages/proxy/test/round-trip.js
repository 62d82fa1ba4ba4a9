// The first half of the round trip the proxy's end-to-end tests drive: traffic through a proxy that runs on a
// copy of the spec (spec/test/spec-copy.js), captured into evidence records as `pnpm proxy --capture` writes them.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startProxy } from '../src/index.js';

/** A business call's headers: the gateway's credentials (the token goes in the query). */
export const HEADERS = {
  groupName: 'grp',
  accountid: 'acct',
  'X-GW-Router-Addr': 'https://tf.jdy.com',
  'content-type': 'application/json',
};
/** The access token the traffic carries: every character a query must escape. */
export const TOKEN = 'loo-token-&=/?#%+';

/**
 * Sends each of `bodies` to `path` through a proxy on the copy's bundle, in front of `upstream`, capturing into a
 * folder beside the copy. Resolves with the statuses the caller got and the records written.
 * @param {{ dir: string, bundle: () => Promise<string> }} copy
 * @param {string} upstream
 * @param {string} path
 * @param {unknown[]} bodies
 */
export async function captureThrough(copy, upstream, path, bodies) {
  const captureDir = join(copy.dir, '..', 'captures');
  const proxy = await startProxy({ upstream, port: 0, spec: await copy.bundle(), capture: captureDir });
  const statuses = [];
  try {
    for (const body of bodies) {
      const response = await fetch(`${proxy.url}${path}?access_token=${encodeURIComponent(TOKEN)}`, {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify(body),
      });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    await proxy.flush();
  } finally {
    await proxy.close();
  }
  const files = await readdir(captureDir);
  const records = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(captureDir, f), 'utf8'))));
  return { statuses, records };
}
