// What the check writes: JUnit read by a JUnit parser; no secret in any output (report, JUnit, capture, console),
// whatever characters the credentials hold; hostile answers end in a verdict or a stop, never a crash.
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretForms } from '@qzz/client/secrets';
import fc from 'fast-check';
import { parse as parseJunit } from 'junit2json';
import { afterEach, describe, expect, it } from 'vitest';
import { check } from '../src/index.js';
import { FAST, json, KINGDEE_ENV, TOKEN_ENV, tenantsClosedAfterEach } from './standin.js';

const tenant = tenantsClosedAfterEach(afterEach);
const OWN = '1000000000000000001';

/** Every file under `dir`, with its name and text. */
async function filesOf(dir) {
  const names = await readdir(dir, { recursive: true });
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8').catch(() => '') })));
}

describe('JUnit', () => {
  it('one test case per action: drift and refused fail, not run is skipped with its reason', async () => {
    const t = await tenant({
      overrides: {
        '/mxoc_qm/inspect_query': (_r, res) => json(res, 200, { success: false }),
        '/mxoc_0001_mxoc_pq/backup_query': (_r, res) =>
          json(res, 200, { success: true, reachPlugin: true, errorCode: 'success', data: { id: 7 } }),
      },
    });
    const dir = await mkdtemp(join(tmpdir(), 'qzz-check-'));
    const file = join(dir, 'check.xml');
    const result = await check({
      upstream: t.url,
      env: TOKEN_ENV,
      junit: file,
      inputs: { getInspection: { id: OWN }, getSparePartsUse: { id: OWN } },
      ...FAST,
    });
    const parsed = /** @type {any} */ (await parseJunit(await readFile(file, 'utf8')));
    const cases = parsed.testsuite.flatMap((suite) => suite.testcase);
    expect(cases.length).toBe(result.verdicts.length);
    const byName = new Map(cases.map((c) => [c.name, c]));
    expect(byName.get('getInspection').failure?.[0].type).toBe('refused');
    expect(byName.get('getSparePartsUse').failure?.[0].type).toBe('drift');
    expect(byName.get('queryProductionInStock').failure).toBeUndefined();
    expect(byName.get('queryProductionInStock').skipped).toBeUndefined();
    expect(byName.get('saveProcess').skipped?.[0].message).toBe('not run: writes');
    expect(parsed.failures).toBe(2);
    expect(parsed.skipped).toBe(result.verdicts.filter((v) => v.verdict === 'not-run').length);
  });
});

// Every character a URL, a query, a header or JSON treats specially, and some that need escaping elsewhere.
const SPECIAL = [...'%&=+?#/ ;:@!$\'()*,[]{}"\\<>|^`~'];
const secretText = fc
  .array(fc.oneof(fc.constantFrom(...SPECIAL), fc.constantFrom(...'abcXYZ0189'), fc.constantFrom('é', '密', '😀')), {
    minLength: 10,
    maxLength: 24,
  })
  .map((chars) => `S${chars.join('')}`);
// A header value holds bytes only: the group name and account id get the ASCII ones.
const headerText = fc
  .array(fc.oneof(fc.constantFrom(...SPECIAL), fc.constantFrom(...'abcXYZ0189')), { minLength: 10, maxLength: 24 })
  .map((chars) => `H${chars.join('')}`);

describe('secrets never reach an output', () => {
  it('in the report, the JUnit file, the capture and the console, whatever characters they hold', async () => {
    await fc.assert(
      fc.asyncProperty(secretText, secretText, headerText, headerText, async (token, clientSecret, groupName, accountId) => {
        // The tenant echoes what it was sent back in every answer: the token, and its group name.
        const t = await tenant({
          token: () => token,
          appSecret: `${clientSecret}-app`,
          accountSet: { groupName, accountId },
          overrides: {
            '/mxoc_qm/inspect_query': (request, res) =>
              json(res, 200, { success: false, errorCode: request.query.get('access_token'), echoed: request.headers.groupname }),
            '/mxoc_0001_mxoc_pq/backup_query': (request, res) =>
              json(res, 200, {
                success: true,
                reachPlugin: true,
                errorCode: 'success',
                data: {
                  [request.query.get('access_token') ?? '']: 1,
                  [String(request.headers.groupname)]: 2,
                  [String(request.headers.accountid)]: 3,
                },
              }),
          },
        });
        const dir = await mkdtemp(join(tmpdir(), 'qzz-check-'));
        const console = [];
        const env = { ...KINGDEE_ENV, QZZ_CLIENT_SECRET: clientSecret };
        const result = await check({
          upstream: t.url,
          env,
          report: join(dir, 'report.jsonl'),
          junit: join(dir, 'check.xml'),
          capture: join(dir, 'captures'),
          inputs: { getInspection: { id: OWN }, getSparePartsUse: { id: OWN } },
          log: (line) => console.push(line),
          ...FAST,
        });
        await t.close();
        const outputs = [
          ...(await filesOf(dir)).flatMap((f) => [f.name, f.text]),
          console.join('\n'),
          result.coverage,
          JSON.stringify(result),
        ];
        // The calls were made with them: what is checked is that nothing kept them.
        expect(t.received.some((r) => r.query.get('access_token') === token)).toBe(true);
        // The Kingdee flow's account set names the tenant: its group name and id are never written either.
        for (const secret of [token, clientSecret, `${clientSecret}-app`, groupName, accountId]) {
          for (const form of secretForms(secret).filter((f) => f.length >= 8)) {
            for (const text of outputs) expect(text.includes(form), `a form of a secret in an output: ${JSON.stringify(form)}`).toBe(false);
          }
        }
      }),
      { numRuns: 4 },
    );
  });
});

describe('hostile answers', () => {
  const cases = {
    'not JSON': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>nope'),
    'a JSON array': (res) => json(res, 200, [1, 2, 3]),
    'nested past the checker': (res) => json(res, 200, `${'['.repeat(5000)}${']'.repeat(5000)}`),
    'over 1 MiB': (res) => json(res, 200, { success: true, reachPlugin: true, errorCode: 'success', data: { big: 'x'.repeat(1_200_000) } }),
    'over 16 MiB': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.alloc(17 * 1024 * 1024, 32)),
    'a broken connection': (res) => res.socket?.destroy(),
    'status 599 with a body': (res) => json(res, 599, { odd: true }),
    'a lying Content-Length': (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"success":');
      res.socket?.destroy();
    },
  };
  it.each(Object.entries(cases))('%s: a verdict or a stop with a reason, never a crash', async (_name, answer) => {
    const t = await tenant({ overrides: { '/mxocminimes/mxoc_pom/mxoc_pom_instocknew_query': (_r, res) => void answer(res) } });
    const result = await check({ upstream: t.url, env: TOKEN_ENV, ...FAST });
    const verdict = result.verdicts.find((v) => v.action === 'queryProductionInStock');
    expect(verdict?.verdict).not.toBe('matches');
    if (result.exitCode === 2) expect(result.stopped).toMatch(/\w/);
    else expect(['drift', 'refused', 'not-run']).toContain(verdict?.verdict);
    expect(result.verdicts.length).toBe(19);
  });
});
