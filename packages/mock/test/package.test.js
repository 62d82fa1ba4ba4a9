// The packages as a team gets them: @qzz/spec, @qzz/http and @qzz/mock packed into tarballs, installed with npm into an
// empty project outside the workspace, and the sandbox started with `npx @qzz/mock --sandbox`.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningUrl } from './helpers.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const CREDENTIALS = { groupName: 'packed', accountid: '42', 'X-GW-Router-Addr': 'https://tf.jdy.com' };

let dir;
let project;
let tarballs;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qzz-packed-'));
  project = join(dir, 'project');
  await mkdir(project);
  for (const pkg of ['spec', 'packages/http', 'packages/mock']) {
    await run('npx', ['-y', packageManager, 'pack', '--pack-destination', dir], { cwd: join(root, pkg) });
  }
  tarballs = (await readdir(dir)).filter((f) => f.endsWith('.tgz')).map((f) => join(dir, f));
}, 300_000);
afterAll(() => dir && rm(dir, { recursive: true, force: true }));

const list = async (tarball) => (await run('tar', ['-tzf', tarball])).stdout.split('\n');
const packageJsonOf = async (tarball) => JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout);

describe('packed tarballs', () => {
  it('@qzz/spec carries its built bundle and helpers; @qzz/mock names @qzz/spec by version', async () => {
    const spec = tarballs.find((t) => t.includes('qzz-spec-'));
    const mock = tarballs.find((t) => t.includes('qzz-mock-'));
    expect(await list(spec)).toEqual(
      expect.arrayContaining(['package/dist/openapi.json', 'package/lib/actions.js', 'package/lib/validate.js']),
    );
    expect(await list(mock)).toEqual(expect.arrayContaining(['package/src/cli.js', 'package/src/sandbox/index.js']));
    const mockJson = await packageJsonOf(mock);
    expect(mockJson.private).toBeUndefined();
    expect(mockJson.dependencies['@qzz/spec']).toBe((await packageJsonOf(spec)).version);
  });

  it('installs into an empty project outside the workspace and runs with npx @qzz/mock --sandbox', async () => {
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'a-team', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: project });
    const child = spawn('npx', ['@qzz/mock', '--sandbox', '--port', '0', '--quiet'], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    try {
      const url = await listeningUrl(child);
      const post = async (path, body) =>
        (
          await fetch(`${url}${path}?access_token=t`, {
            method: 'POST',
            headers: { ...CREDENTIALS, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        ).json();
      const saved = await post('/app/mxoc_0001_mxoc_pq/pq_orderexecution_operate', {
        operation: 'save',
        billdata: { remark: 'from a tarball' },
      });
      expect(saved.data.id).toMatch(/^[0-9]{19}$/);
      const pushed = await post('/app/mxoc_0001_mxoc_pq/pq_orderexe_push_backup', {
        operation: 'push',
        entryPk: saved.data.id,
        billdata: { id: saved.data.id },
      });
      expect(pushed.data.material_entity[0].material_entity_lk[0].material_entity_lk_sbillid).toBe(saved.data.id);
      expect(pushed.data.material_entity[0].srcbillno).toBe(saved.data.billno);
      expect(pushed.data.remark).toBe('from a tarball');
      const bills = await (await fetch(`${url}/__sandbox/bills?access_token=t`, { headers: CREDENTIALS })).json();
      expect(bills.bills.map((b) => b.id)).toContain(saved.data.id);
    } finally {
      // npx runs the bin in a child of its own: stop the whole group it leads.
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    }
  }, 300_000);
});
