// The whole round trip, in a copy of the repository: traffic the spec lacks through the proxy's --capture,
// `pnpm spec:add`, then the fast path `pnpm build --filter=@qzz/client`. It rebuilds only what the new action
// touches (the client: the bundle was made by spec:add, the spec's types, @qzz/http and the mock are unchanged),
// the new function calls the mock, and a full build from nothing afterwards changes none of the files it made.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startMock } from '@qzz/mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureWidget, copyRepository, WIDGET } from '../../../scripts/round-trip.js';

/** Builds are minutes on a busy machine: a bound, not a speed check. */
const BUILD = 600_000;
/** What the fast path writes: the bundle, the client (and its generated sources), the packages it builds on. */
const OUTPUTS = ['spec/dist', 'packages/client/dist', 'packages/client/src/generated', 'packages/mock/dist', 'packages/http/dist'];

/**
 * Every file under the copy's `dirs`, by path, with a digest of its bytes.
 * @param {string} root
 */
async function snapshot(root) {
  /** @type {Map<string, string>} */
  const files = new Map();
  for (const dir of OUTPUTS) {
    if (!existsSync(join(root, dir))) continue;
    for (const entry of await readdir(join(root, dir), { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      files.set(
        relative(root, path),
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      );
    }
  }
  return files;
}

/**
 * The tasks a turbo run would execute (cache misses) rather than take from its cache.
 * @param {Awaited<ReturnType<typeof copyRepository>>} copy
 * @param {string[]} args
 */
async function wouldRun(copy, args) {
  const { stdout } = await copy.turbo(['run', ...args, '--dry=json']);
  /** @type {{ tasks: { taskId: string, command: string, cache: { status: string } }[] }} */
  const plan = JSON.parse(stdout);
  return plan.tasks
    .filter((task) => task.command !== '<NONEXISTENT>' && task.cache.status === 'MISS')
    .map((task) => task.taskId)
    .sort();
}

describe('the round trip: capture → spec:add → the client only', () => {
  /** @type {Awaited<ReturnType<typeof copyRepository>>} */
  let copy;
  /** @type {string} */
  let record;
  beforeAll(async () => {
    copy = await copyRepository();
    // The state a user starts from: the client built from the spec as it is.
    await copy.pnpm(['build', '--filter=@qzz/client', '--output-logs=errors-only']);
    record = await captureWidget(copy.root, join(copy.root, '..', 'captures'));
  }, BUILD);
  afterAll(() => copy?.remove());

  it(
    'spec:add drafts the action, lints what it wrote and bundles it; the client is then all that is left to build',
    async () => {
      const added = await copy.pnpm(['spec:add', record, '--module', WIDGET.module]);
      expect(added.stdout).toMatch(new RegExp(`Added action \`${WIDGET.action}\``));
      expect(added.stdout).toMatch(/Linted and bundled/);
      // Written as Biome writes JSON, so that `pnpm lint` passes on the draft as it is.
      const example = await readFile(join(copy.root, 'spec', 'examples', WIDGET.module, `${WIDGET.action}_response.json`), 'utf8');
      expect(example).toMatch(/"tags": \["A", "B"\]/);
      const bundle = JSON.parse(await readFile(join(copy.root, 'spec', 'dist', 'openapi.json'), 'utf8'));
      expect(Object.keys(bundle.paths)).toContain(WIDGET.path);
      // The spec's types, @qzz/http and the mock do not read the spec's sources or its bundle: nothing to redo.
      expect(await wouldRun(copy, ['build', '--filter=@qzz/client'])).toEqual(['@qzz/client#build']);
      // The full build adds the docs, which show the new action, and the packages whose types are built against
      // the client's (the check, the MCP server, the proxy): nothing that does not depend on the client.
      expect(await wouldRun(copy, ['build'])).toEqual([
        '@qzz/check#build',
        '@qzz/client#build',
        '@qzz/docs#build',
        '@qzz/mcp#build',
        '@qzz/proxy#build',
      ]);
      // And the lint spec:add ran is the one `pnpm lint` and `pnpm test` would run.
      expect(await wouldRun(copy, ['lint', '--filter=@qzz/spec'])).toEqual([]);
    },
    BUILD,
  );

  it(
    'builds a client whose new function answers from the mock; a full build from nothing changes none of its files',
    async () => {
      await copy.pnpm(['build', '--filter=@qzz/client', '--output-logs=errors-only']);
      const fast = await snapshot(copy.root);
      expect([...fast.keys()]).toEqual(expect.arrayContaining(['spec/dist/openapi.json', 'packages/client/dist/index.js']));

      const { createQzzClient } = await import(pathToFileURL(join(copy.root, 'packages', 'client', 'dist', 'index.js')).href);
      const mock = await startMock({ port: 0, spec: join(copy.root, 'spec', 'dist', 'openapi.json') });
      try {
        const credentials = { accessToken: 't', groupName: 'g', accountId: 'a', routerAddr: 'https://tf.jdy.com' };
        const client = createQzzClient({ baseUrl: mock.url, credentials });
        const data = await client[WIDGET.module][WIDGET.action](WIDGET.body);
        expect(data.rows[0]).toMatchObject({ number: 'WG-0001', phone: '138****5678', tags: ['A', 'B'] });
      } finally {
        await mock.close();
      }

      await copy.turbo(['run', 'build', '--force', '--output-logs=errors-only']);
      const full = await snapshot(copy.root);
      const changed = [...fast].filter(([file, digest]) => full.get(file) !== digest).map(([file]) => file);
      expect(changed).toEqual([]);
    },
    BUILD,
  );
});
