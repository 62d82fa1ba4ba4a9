// Every code sample the site shows, run as it is shown against @qzz/mock over real HTTP: each TypeScript sample
// type-checked against the built @qzz/client and run by Node; each curl sample run by the real curl.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startMock } from '@qzz/mock';
import { applySelect, listOperations, resolvePointer } from '@qzz/spec/actions';
import { schemaValidator } from '@qzz/spec/validate';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRINTS, SAMPLE_ENV } from '../src/samples.js';
import { typecheckSamples } from './typecheck.js';

const run = promisify(execFile);
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
// The samples as the site serves them (and as its downloadable openapi.json carries them).
const site = JSON.parse(readFileSync(join(packageDir, 'dist', 'openapi.json'), 'utf8'));
const validator = schemaValidator(doc);
// Inside the package, so `@qzz/client` resolves to the built package as it would for a user.
const workDir = join(packageDir, 'test', '.samples');

const samples = listOperations(site).flatMap(({ operation, actions }) =>
  (operation['x-codeSamples'] ?? []).map((sample) => ({
    ...sample,
    operation,
    action: actions.find((a) => a.name === sample['x-qzz-action']),
  })),
);
const typescript = samples.filter((s) => s.lang === 'TypeScript');
const curl = samples.filter((s) => s.label.startsWith('curl'));

// Values with every URL-special character: a sample must carry them intact.
const HOSTILE = {
  QZZ_ACCESS_TOKEN: 'tok/+?&=#%20;:@ $!',
  QZZ_GROUP_NAME: 'group&name=1',
  QZZ_ACCOUNT_ID: '1651#2?',
  QZZ_ROUTER_ADDR: 'https://tf.jdy.com/?a=b&c',
  QZZ_CLIENT_ID: 'client id&=?',
  QZZ_CLIENT_SECRET: 'secret/+?&=#%',
  QZZ_OUTER_INSTANCE_ID: 'OI 9&x=1',
};

/** A sample's environment: the mock's URL, and `extra`; nothing else of ours leaks in. */
const sampleEnv = (extra = {}) => {
  const env = { ...process.env, QZZ_BASE_URL: mock.url, ...extra };
  for (const name of Object.keys(SAMPLE_ENV)) if (!(name in extra) && name !== 'QZZ_BASE_URL') delete env[name];
  return env;
};

/** What the action's documented answer is, if it has one: the envelope. */
function documentedAnswer({ operation, action }) {
  if (!action.examples.response) return undefined;
  const media = Object.values(operation.responses['200'].content)[0];
  const example = media.examples[action.examples.response];
  return (example.$ref ? resolvePointer(doc, example.$ref) : example).value;
}

/** Errors of `data` against the action's documented schema of the envelope's `data`. */
function dataErrors(action, data) {
  const envelope = resolvePointer(doc, action.response);
  const pointer = envelope?.properties?.data ? `${action.response}/properties/data` : action.response;
  const validate = validator.compile(pointer);
  return validate(data) ? [] : validate.errors;
}

let mock;
// A loopback server that records the last request it got, to see exactly what a sample sends.
let recorder;
/** @type {{ method?: string, url: URL, headers: import('node:http').IncomingHttpHeaders, body: string } | undefined} */
let recorded;
const lastRecorded = () => recorded;
beforeAll(async () => {
  mock = await startMock({ port: 0 });
  recorder = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      recorded = {
        method: req.method,
        url: new URL(req.url ?? '/', 'http://recorder.invalid'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
});
afterAll(async () => {
  await mock?.close();
  await new Promise((resolve) => (recorder ? recorder.close(resolve) : resolve(undefined)));
  rmSync(workDir, { recursive: true, force: true });
});

describe('the code samples', () => {
  it('cover every action: TypeScript for each, curl for each business call', () => {
    const actions = listOperations(doc).flatMap(({ signed, actions }) => actions.map((a) => [a.name, signed]));
    expect(actions.length).toBeGreaterThan(0);
    for (const [name, signed] of actions) {
      expect(
        typescript.filter((s) => s.action.name === name),
        name,
      ).toHaveLength(1);
      expect(
        curl.filter((s) => s.action.name === name),
        name,
      ).toHaveLength(signed ? 0 : 1);
    }
  });

  it('TypeScript: each compiles against the built client', () => {
    const files = typescript.map(({ action, source }) => {
      const file = join(workDir, `${action.name}.mts`);
      writeFileSync(file, source);
      return file;
    });
    const { program, errors } = typecheckSamples(files);
    expect(errors).toEqual([]);
    // The client's types, not some other copy: the import resolves into packages/client/dist.
    const resolved = program
      .getSourceFiles()
      .map((f) => f.fileName)
      .filter((f) => f.includes('/client/dist/'));
    expect(resolved).toContain(join(packageDir, '..', 'client', 'dist', 'index.d.ts'));
  });

  it.each(typescript.map((s) => [s.action.name, s]))('TypeScript: %s prints what it says', async (name, sample) => {
    const script = join(workDir, `${name}.mjs`);
    const { outputText } = ts.transpileModule(sample.source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(script, outputText);
    const { stdout } = await run(process.execPath, [script], { cwd: workDir, env: sampleEnv(HOSTILE) });
    const printed = stdout.trim();
    const said = sample.source.split('\n').find((line) => line.includes(PRINTS));
    if (said) {
      expect(printed).toBe(said.slice(said.indexOf(PRINTS) + PRINTS.length));
    } else {
      // No value to quote: it prints the envelope's data, which must be what the action documents.
      expect(dataErrors(sample.action, JSON.parse(printed))).toEqual([]);
    }
    // Whatever it prints, never the token.
    expect(stdout).not.toContain(HOSTILE.QZZ_ACCESS_TOKEN);
  });

  // A wrapper sees the status and the action the mock chose; the sample itself runs unchanged.
  const curlWithStatus = (source) => `curl() { command curl --write-out '\\n%header{x-qzz-action}\\n%{http_code}' "$@"; }\n${source}`;

  it.each(curl.map((s) => [s.action.name, s]))('curl: %s is answered 200 with the documented example', async (name, sample) => {
    for (const env of [sampleEnv(), sampleEnv(HOSTILE)]) {
      const { stdout } = await run('bash', ['-c', curlWithStatus(sample.source)], { cwd: workDir, env });
      const [status, chosen, ...rest] = stdout.split('\n').reverse();
      const body = JSON.parse(rest.reverse().join('\n'));
      expect(status, JSON.stringify(body)).toBe('200');
      expect(chosen).toBe(name);
      const documented = documentedAnswer(sample);
      if (documented) {
        expect(body).toEqual(documented);
      } else {
        expect(body.success).toBe(true);
        expect(dataErrors(sample.action, body.data)).toEqual([]);
      }
    }
  });

  it.each(curl.map((s) => [s.action.name, s]))(
    'curl: %s sends the four values intact, whatever characters they hold',
    async (_name, sample) => {
      const { port } = recorder.address();
      recorded = undefined;
      await run('bash', ['-c', sample.source], { cwd: workDir, env: sampleEnv({ ...HOSTILE, QZZ_BASE_URL: `http://127.0.0.1:${port}` }) });
      const { operation, action } = sample;
      const route = listOperations(site).find((o) => o.operation === operation);
      // Read through a function: `recorded` is set by the recording server, which the checker cannot see.
      const request = lastRecorded();
      if (!request) throw new Error(`${_name}: the recording server saw no request`);
      expect(request.method).toBe('POST');
      expect(request.url.pathname).toBe(route?.wirePath);
      expect(request.url.searchParams.get('access_token')).toBe(HOSTILE.QZZ_ACCESS_TOKEN);
      expect([...request.url.searchParams.keys()]).toEqual(['access_token']);
      expect(request.headers.groupname).toBe(HOSTILE.QZZ_GROUP_NAME);
      expect(request.headers.accountid).toBe(HOSTILE.QZZ_ACCOUNT_ID);
      expect(request.headers['x-gw-router-addr']).toBe(HOSTILE.QZZ_ROUTER_ADDR);
      const [contentType, media] = Object.entries(operation.requestBody.content)[0];
      expect(request.headers['content-type']).toBe(contentType);
      // The body is the vendor's example with its selecting values; a text/plain one, its JSON text as is.
      const example = media.examples[action.examples.request];
      const value = (example.$ref ? resolvePointer(site, example.$ref) : example).value;
      if (contentType === 'text/plain') expect(request.body).toBe(value);
      else expect(JSON.parse(request.body)).toEqual(applySelect(action.select, value));
    },
  );
});
