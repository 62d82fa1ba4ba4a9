// The qzz-check command: its exit statuses and refusals, and the packed tarballs run with npx in an empty project.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionEntry, business, harText, recordFromMock } from '../../proxy/test/har-files.js';
import { json, startTenant, TOKEN_ENV } from './standin.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'src', 'cli.js');
const repo = join(here, '..', '..', '..');
const specJson = fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
const push = business.find((a) => a.name === 'pushOrderExecutionToSparePartsUse');

/** Runs the CLI; resolves with its status and output (never rejects on a non-zero status). */
async function cli(args, env = {}, cwd = here) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}

let t;
beforeAll(async () => {
  t = await startTenant({
    overrides: {
      '/mxoc_0001_mxoc_pq/backup_query': (_r, res) =>
        json(res, 200, { success: true, reachPlugin: true, errorCode: 'success', data: { id: 7 } }),
    },
  });
});
afterAll(() => t?.close());

describe('qzz-check', () => {
  it('--help says why pushes are believed safe and where credentials come from', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--allow-push/);
    expect(stdout).toMatch(/unsaved draft \(id "0"\)/);
    expect(stdout).toMatch(/non-zero id.*stops/s);
    expect(stdout).toMatch(/QZZ_ACCESS_TOKEN/);
  });

  it('takes no credentials from the command line, and names missing variables without values (exit 2)', async () => {
    const positional = await cli(['--upstream', t.url, 'my-token-value'], TOKEN_ENV);
    expect(positional.code).toBe(2);
    expect(positional.stderr).toMatch(/never the command line/);
    const missing = await cli(['--upstream', t.url], { QZZ_ACCESS_TOKEN: 'only-the-token-1' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/QZZ_GROUP_NAME/);
    expect(missing.stderr).not.toMatch(/only-the-token-1/);
  });

  it('exit 0 when nothing drifted, 1 on drift; progress on stderr, coverage on stdout', async () => {
    const clean = await cli(['--upstream', t.url, '--rate', '10'], TOKEN_ENV);
    expect(clean.code).toBe(0);
    expect(clean.stderr).toMatch(/\[\d+\/19\] queryProductionInStock: matches/);
    expect(clean.stdout).toMatch(/^Coverage of the spec's 19 actions: 1 matched/);
    const dir = await mkdtemp(join(tmpdir(), 'qzz-check-'));
    await writeFile(join(dir, 'read.json'), JSON.stringify({ id: '1000000000000000001' }));
    const drift = await cli(['--upstream', t.url, '--rate', '10', '--input', `getSparePartsUse=${join(dir, 'read.json')}`], TOKEN_ENV);
    expect(drift.code).toBe(1);
    expect(drift.stderr).toMatch(/getSparePartsUse: drift/);
  });

  it('--har: exit 0 for a recording that matches, 1 on drift; 2 for --har with --upstream, and for a broken HAR with its reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qzz-check-'));
    const [recorded] = await recordFromMock([push]);
    const clean = join(dir, 'clean.har');
    await writeFile(clean, harText([recorded]));
    const matched = await cli(['--har', clean]);
    expect(matched.code).toBe(0);
    expect(matched.stderr).toMatch(/read 1 entry of the recording: 1 on the gateway's routes checked, 0 skipped/);
    expect(matched.stderr).toMatch(/pushOrderExecutionToSparePartsUse: matches/);
    const drifted = join(dir, 'drift.har');
    await writeFile(drifted, harText([actionEntry(push, { answer: { success: 'true' } })]));
    expect((await cli(['--har', drifted])).code).toBe(1);

    const both = await cli(['--har', clean, '--upstream', t.url], TOKEN_ENV);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);
    const sends = await cli(['--har', clean, '--allow-push']);
    expect(sends.code).toBe(2);
    for (const text of ['{"log":{"entries":[{"request":', '[1,2,3]', 'not json at all']) {
      const broken = join(dir, 'broken.har');
      await writeFile(broken, text);
      const result = await cli(['--har', broken]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/The check stopped: the recording could not be read: \S/);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    const missing = await cli(['--har', join(dir, 'nowhere.har')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/The check could not run/);
  });

  it('--sarif without the spec sources it needs refuses to start (exit 2), before any call', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qzz-check-'));
    const before = t.received.length;
    const noSources = await cli(['--upstream', t.url, '--rate', '10', '--sarif', join(dir, 'a.sarif'), '--spec-sources', dir], TOKEN_ENV);
    expect(noSources.code).toBe(2);
    expect(noSources.stderr).toMatch(/needs the spec's source files .*openapi\.yaml is not there/);
    // Another bundle: the default sources are not the ones it was made from.
    await writeFile(join(dir, 'openapi.json'), await readFile(specJson, 'utf8'));
    const otherBundle = await cli(
      ['--upstream', t.url, '--rate', '10', '--sarif', join(dir, 'b.sarif'), '--spec', join(dir, 'openapi.json')],
      TOKEN_ENV,
    );
    expect(otherBundle.code).toBe(2);
    expect(otherBundle.stderr).toMatch(
      /another bundle \(--spec\) needs the folder of the sources it was made from \(--spec-sources <dir>\)/,
    );
    expect(t.received.length).toBe(before);
    expect(existsSync(join(dir, 'a.sarif')) || existsSync(join(dir, 'b.sarif'))).toBe(false);
    // With its sources named, the same run writes its SARIF.
    const named = await cli(
      [
        '--upstream',
        t.url,
        '--rate',
        '10',
        '--sarif',
        join(dir, 'c.sarif'),
        '--spec',
        join(dir, 'openapi.json'),
        '--spec-sources',
        join(repo, 'spec'),
      ],
      TOKEN_ENV,
    );
    expect(named.code).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'c.sarif'), 'utf8')).version).toBe('2.1.0');
  });

  it('--help says --sarif needs the spec sources, and how to name them', async () => {
    const { stdout } = await cli(['--help']);
    expect(stdout).toMatch(/--sarif <file\.sarif>.*\n.*published @qzz\/spec does not ship/);
    expect(stdout).toMatch(/--spec-sources <dir>/);
  });

  it('--coverage merges reports into the table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qzz-check-'));
    const report = join(dir, 'r.jsonl');
    await cli(['--upstream', t.url, '--rate', '10', '--report', report], TOKEN_ENV);
    const proxyLine = {
      time: '2030-01-01T00:00:00.000Z',
      route: 'POST /mxoc_qm/inspect_query',
      action: 'getInspection',
      direction: 'response',
      status: 200,
      pointer: '/data/x',
      pattern: '/data/x',
      kind: 'type',
      spec: 'type string',
      seen: 'integer',
      count: 1,
      exchanges: 1,
    };
    const proxyReport = join(dir, 'proxy.jsonl');
    await writeFile(proxyReport, `${JSON.stringify(proxyLine)}\nnot json\n`);
    const { code, stdout } = await cli(['--coverage', report, proxyReport]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/1 matched, 1 drifted/);
    expect(stdout).toMatch(/drifted\s+getInspection\s+query\s+2030-01-01 \(proxy\)/);
  });
});

describe('the packed package', () => {
  it('installs from its tarballs into an empty project and runs with npx', { timeout: 300_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qzz-check-pack-'));
    const packs = join(dir, 'packs');
    await mkdir(packs);
    const packages = {
      '@qzz/check': 'packages/check',
      '@qzz/proxy': 'packages/proxy',
      '@qzz/client': 'packages/client',
      '@qzz/spec': 'spec',
      '@qzz/http': 'packages/http',
    };
    for (const folder of Object.values(packages))
      await run('npx', ['-y', 'pnpm@12.4.2', 'pack', '--pack-destination', packs], { cwd: join(repo, folder) });
    const tarballs = await readdir(packs);
    const tarball = (name) =>
      `file:${join(packs, /** @type {string} */ (tarballs.find((f) => f.startsWith(`${name.replace('@', '').replace('/', '-')}-`))))}`;
    const overrides = Object.fromEntries(Object.keys(packages).map((name) => [name, tarball(name)]));
    const project = join(dir, 'project');
    await mkdir(project);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'empty', private: true, dependencies: { '@qzz/check': overrides['@qzz/check'] } }),
    );
    // The packages are not published: each one's dependency on another resolves to its tarball (pnpm reads
    // overrides from the project's workspace file).
    const lines = Object.entries(overrides).map(([name, file]) => `  ${JSON.stringify(name)}: ${JSON.stringify(file)}`);
    await writeFile(join(project, 'pnpm-workspace.yaml'), `overrides:\n${lines.join('\n')}\n`);
    await run('npx', ['-y', 'pnpm@12.4.2', 'install', '--prefer-offline'], { cwd: project });
    const help = await run('npx', ['qzz-check', '--help'], { cwd: project });
    expect(help.stdout).toMatch(/--allow-push/);
    const checked = await run('npx', ['qzz-check', '--upstream', t.url, '--rate', '10'], {
      cwd: project,
      env: { ...process.env, ...TOKEN_ENV },
    });
    expect(checked.stdout).toMatch(/1 matched/);
    // The published @qzz/spec ships the bundle, not its source YAML: --sarif is refused before any call.
    const before = t.received.length;
    const sarif = await run('npx', ['qzz-check', '--upstream', t.url, '--rate', '10', '--sarif', join(dir, 'check.sarif')], {
      cwd: project,
      env: { ...process.env, ...TOKEN_ENV },
    }).catch((error) => error);
    expect(sarif.code).toBe(2);
    expect(sarif.stderr).toMatch(/The published @qzz\/spec ships the bundle only/);
    expect(t.received.length).toBe(before);
    const har = join(dir, 'recording.har');
    await writeFile(har, harText(await recordFromMock([push])));
    const fromHar = await run('npx', ['qzz-check', '--har', har], { cwd: project });
    expect(fromHar.stdout).toMatch(/1 matched/);
    expect(fromHar.stderr).toMatch(/pushOrderExecutionToSparePartsUse: matches/);
  });
});
