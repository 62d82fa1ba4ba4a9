// `npx qzz-mcp` from the packed tarballs, in an empty project: what a team adding the server to an assistant
// runs. The tarballs are packed by pnpm (which writes the workspace's versions into the dependencies) and
// installed by npm from the registry, as a user's machine would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock } from '@qzz/mock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MOCK_ENV, stdioClient, textOf } from './helpers.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = ['spec', 'packages/client', 'packages/mcp'];

let project = '';
/** @type {Awaited<ReturnType<typeof startMock>>} */
let mock;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'qzz-mcp-tarball-'));
  const tarballs = join(project, 'tarballs');
  for (const dir of PACKAGES)
    execFileSync('npx', ['-y', 'pnpm@12.4.2', 'pack', '--pack-destination', tarballs], { cwd: join(repo, dir), stdio: 'pipe' });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'assistant-setup', private: true, type: 'module' }));
  const files = readdirSync(tarballs).map((file) => join(tarballs, file));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...files], { cwd: project, stdio: 'pipe' });
  mock = await startMock({ port: 0 });
}, 300_000);
afterAll(async () => {
  await mock?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

it('runs with npx from its tarball and answers a query', async () => {
  const { client, close } = await stdioClient(
    [],
    { ...MOCK_ENV, QZZ_BASE_URL: mock.url },
    { command: 'npx', commandArgs: ['--no-install', 'qzz-mcp'], cwd: project },
  );
  try {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'production_queryProductionInStock',
      'projectManufacturing_getSparePartsUse',
      'workshop_getInspection',
    ]);
    const result = await client.callTool({ name: 'projectManufacturing_getSparePartsUse', arguments: { id: '1634800180022794240' } });
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(textOf(result))).toBeTypeOf('object');
  } finally {
    await close();
  }
});
