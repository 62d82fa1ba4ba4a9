// README's Quick start, run as written against the mock on http://localhost:4010.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startMock } from '@qzz/mock';
import ts from 'typescript';
import { expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

it('the Quick start prints the seed bill number', async () => {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toContain("baseUrl: 'http://localhost:4010'");
  const { outputText } = ts.transpileModule(block!, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  // Inside the package, so `@qzz/client` resolves to the built package as it would for a user.
  const script = join(packageDir, 'test', '.quick-start.mjs');
  writeFileSync(script, outputText);
  // `pnpm start` may already serve the mock there; otherwise start one.
  const mock = await startMock({ port: 4010 }).catch(async (error) => {
    const running = await fetch('http://localhost:4010/mxoc_qm/inspect_query', { method: 'POST' }).catch(() => undefined);
    if (error.code === 'EADDRINUSE' && running?.status === 401) return { close: async () => {} };
    throw new Error(`The Quick start needs the mock on port 4010, and the port is taken by something else: ${error.message}`);
  });
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: packageDir });
    expect(stdout.trim()).toBe('BJLL-20230306-0001');
  } finally {
    await mock.close();
    rmSync(script, { force: true });
  }
});
