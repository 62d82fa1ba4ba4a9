// What a team installs to test against the mock with no server: @qzz/client and @qzz/mock (with @qzz/spec and
// @qzz/http, which the mock needs) packed into tarballs, installed with npm into an empty project outside the
// workspace beside vitest and msw, where a vitest suite on the in-process mock and one on MSW handlers both pass.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The versions the workspace tests with: the team's project gets the same. */
const devVersion = (name: string) => JSON.parse(readFileSync(join(root, 'packages/mock/package.json'), 'utf8')).devDependencies[name];

const CREDENTIALS = `{ accessToken: 't', groupName: 'packed', accountId: '42', routerAddr: 'https://tf.jdy.com' }`;

/** The team's two suites, as its README examples would have them written. */
const SUITES = {
  'in-process.test.js': `
import { createQzzClient } from '@qzz/client';
import { createMockFetch } from '@qzz/mock';
import { afterAll, beforeAll, expect, it } from 'vitest';

let mockFetch;
beforeAll(async () => {
  mockFetch = await createMockFetch({ sandbox: true });
});
afterAll(() => mockFetch.close());

it('saves a bill and pushes it, with no server', async () => {
  const client = createQzzClient({ baseUrl: 'https://api.kingdee.com', credentials: ${CREDENTIALS}, fetch: mockFetch });
  const saved = await client.projectManufacturing.saveOrderExecution({ operation: 'save', billdata: { remark: 'from a tarball' } });
  const draft = await client.projectManufacturing.pushOrderExecutionToSparePartsUse({ entryPk: saved.id, billdata: { id: saved.id } });
  expect(draft.remark).toBe('from a tarball');
  expect(draft.material_entity[0].srcbillno).toBe(saved.billno);
});
`,
  'msw.test.js': `
import { createQzzClient, QzzGatewayError } from '@qzz/client';
import { createMockHandlers } from '@qzz/mock/msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, expect, it } from 'vitest';

const baseUrl = 'https://gateway.test';
const server = setupServer();
beforeAll(async () => {
  server.use(...(await createMockHandlers({ baseUrl })));
  server.listen({ onUnhandledRequest: 'error' });
});
afterAll(() => server.close());

it('answers the documented push, and refuses a call without credentials', async () => {
  const client = createQzzClient({ baseUrl, credentials: ${CREDENTIALS}, retries: 0 });
  const draft = await client.projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: '1634800180022794240' } });
  expect(draft.billno).toBe('BJLL-20230306-0001');
  const refused = createQzzClient({ baseUrl, credentials: { ...${CREDENTIALS}, groupName: '' }, retries: 0 });
  const error = await refused.projectManufacturing.pushOrderExecutionToSparePartsUse({ billdata: { id: '1' } }).catch((e) => e);
  expect(error).toBeInstanceOf(QzzGatewayError);
  expect(error.status).toBe(401);
});
`,
};

let dir: string;
let project: string;
let tarballs: string[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qzz-packed-testing-'));
  project = join(dir, 'project');
  await mkdir(project);
  for (const pkg of ['spec', 'packages/http', 'packages/mock', 'packages/client']) {
    await run('npx', ['-y', packageManager, 'pack', '--pack-destination', dir], { cwd: join(root, pkg) });
  }
  tarballs = (await readdir(dir)).filter((f) => f.endsWith('.tgz')).map((f) => join(dir, f));
}, 300_000);
afterAll(() => dir && rm(dir, { recursive: true, force: true }));

describe('the packed client and mock in an empty project', () => {
  it('run a vitest suite on the in-process mock and one on MSW handlers, both passing', async () => {
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'a-team', private: true, type: 'module' }));
    for (const [name, source] of Object.entries(SUITES)) await writeFile(join(project, name), source);
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, `vitest@${devVersion('vitest')}`, `msw@${devVersion('msw')}`],
      { cwd: project },
    );
    // Installed from the tarballs, not linked to the workspace.
    const installed = JSON.parse(await readFile(join(project, 'node_modules/@qzz/mock/package.json'), 'utf8'));
    expect(installed.exports['./msw']).toBeDefined();
    await run('npx', ['vitest', 'run', '--reporter=json', '--outputFile=results.json'], { cwd: project }).catch((error) => error);
    const results = JSON.parse(await readFile(join(project, 'results.json'), 'utf8'));
    const outcome = results.testResults.map((file: { name: string; status: string; message: string }) => [
      file.name.split('/').at(-1),
      file.status,
      file.message,
    ]);
    expect(outcome.sort()).toEqual([
      ['in-process.test.js', 'passed', ''],
      ['msw.test.js', 'passed', ''],
    ]);
    expect(results.numPassedTests).toBe(2);
  }, 300_000);
});
