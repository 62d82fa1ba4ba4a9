// The bill flows the site serves as Arazzo workflows: linted as Arazzo by Redocly, and run by Redocly Respect
// against the mock's sandbox over real HTTP, every step and success criterion passing, each step's id carried on.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startMock } from '@qzz/mock';
import { listActions } from '@qzz/spec/actions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ARAZZO_FILE, arazzoDocument, billFlows, SOURCE_NAME, savedBillName } from '../src/arazzo.js';
import { billNames, sameBillName } from '../src/billflow.js';

const run = promisify(execFile);
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const redocly = join(packageDir, 'node_modules', '.bin', 'redocly');
const doc = JSON.parse(await readFile(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
// The workflows as the site serves them, beside the openapi.json they name (`pnpm build` writes both).
const file = join(packageDir, 'dist', ARAZZO_FILE);
const arazzo = parse(await readFile(file, 'utf8'));
const flows = billFlows(doc);
const media = (action) => Object.keys(doc.paths[action.path][action.method].requestBody.content)[0];

const CREDENTIALS = { accessToken: 'respect-token', groupName: 'respect', accountId: '1001', routerAddr: 'https://tf.jdy.com' };

let scratch;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'qzz-arazzo-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('the bill flows', () => {
  it('are one workflow per bill a save stores and a push takes down, found from the actions', () => {
    expect(flows.length).toBeGreaterThan(0);
    const pushes = listActions(doc).filter((a) => a.kind === 'push');
    for (const { bill, save, push } of flows) {
      expect(save.kind).toMatch(/^save/);
      expect(push.kind).toBe('push');
      // The save's title names the bill; the push takes down that bill (its title, or another push's of its form).
      expect(savedBillName(save.summary)).toBe(bill);
      const sources = pushes.filter((p) => p.name === push.name || (p.from && p.from === push.from)).map((p) => billNames(p.summary).from);
      expect(
        sources.some((name) => name && sameBillName(name, bill)),
        push.name,
      ).toBe(true);
    }
    expect(arazzo.workflows.map((w) => w.workflowId)).toEqual(flows.map((f) => `${f.save.name}-${f.push.name}`));
  });

  it('carry the saved id into the push, and leave out a step that needs an output in a text/plain body, saying why', () => {
    for (const [i, flow] of flows.entries()) {
      const workflow = arazzo.workflows[i];
      expect(Object.keys(workflow.inputs.properties)).toEqual(Object.keys(doc.security[0]));
      const [save, push, ...rest] = workflow.steps;
      expect(save.outputs.id).toBe('$response.body#/data/id');
      expect(JSON.stringify(push.requestBody.payload)).toContain('"$steps.save.outputs.id"');
      if (flow.read && media(flow.read) === 'text/plain') {
        expect(rest).toEqual([]);
        expect(workflow.description).toContain(`\`${flow.read.name}\` is not a step`);
        expect(workflow.description).toContain('text/plain');
      }
    }
    expect(flows.some((f) => f.read && media(f.read) === 'text/plain')).toBe(true);
  });

  it('read the pushed bill back where the read takes JSON (a bundle whose read is not text/plain)', () => {
    const flow = /** @type {any} */ (flows.find((f) => f.read && media(f.read) === 'text/plain'));
    const json = structuredClone(doc);
    const route = json.paths[flow.read.path][flow.read.method].requestBody;
    const [media0] = Object.values(route.content);
    const example = json.components.examples[flow.read.examples.request];
    example.value = JSON.parse(example.value);
    route.content = { 'application/json': { ...media0, schema: { $ref: flow.read.request } } };
    const workflow = /** @type {any} */ (
      arazzoDocument(json, 'openapi.json').workflows.find((w) => w.workflowId === `${flow.save.name}-${flow.push.name}`)
    );
    const read = workflow.steps.at(-1);
    expect(workflow.steps.map((s) => s.stepId)).toEqual(['save', 'push', 'read']);
    expect(read.requestBody).toEqual({ contentType: 'application/json', payload: { ...example.value, id: '$steps.push.outputs.id' } });
    expect(workflow.description).not.toContain('is not a step');
  });

  it('lint as Arazzo with Redocly (recommended-strict)', async () => {
    const config = join(scratch, 'redocly.yaml');
    await writeFile(config, 'telemetry: off\nextends:\n  - recommended-strict\n');
    const { stdout, stderr } = await run(redocly, ['lint', file, '--config', config]);
    expect(`${stdout}${stderr}`).toContain('Your API description is valid');
  });

  describe('run by Respect against the sandbox', () => {
    let sandbox;
    let report;
    beforeAll(async () => {
      sandbox = await startMock({ port: 0, sandbox: true });
      const output = join(scratch, 'respect.json');
      const inputs = Object.entries(CREDENTIALS).flatMap(([key, value]) => ['--input', `${key}=${value}`]);
      // Asynchronously: the sandbox answers from this process while Respect runs.
      await run(redocly, ['respect', file, '--server', `${SOURCE_NAME}=${sandbox.url}`, ...inputs, '--json-output', output]).catch(
        (error) => {
          throw new Error(`respect failed:\n${error.stdout}`);
        },
      );
      report = JSON.parse(await readFile(output, 'utf8'));
    });
    afterAll(() => sandbox?.close());

    it('passes every step and success criterion of every workflow', () => {
      const [executed] = Object.values(report.files).map((f) => f.executedWorkflows);
      expect(executed.map((w) => [w.workflowId, w.status])).toEqual(arazzo.workflows.map((w) => [w.workflowId, 'success']));
      for (const workflow of executed) {
        for (const step of workflow.executedSteps) {
          expect(step.checks.length, `${workflow.workflowId}/${step.stepId}`).toBeGreaterThan(0);
          expect(step.checks.filter((c) => !c.passed)).toEqual([]);
        }
      }
    });

    it('pushes the bill the save stored, of the form the push takes down', () => {
      const [executed] = Object.values(report.files).map((f) => f.executedWorkflows);
      for (const [i, workflow] of executed.entries()) {
        const [save, push] = workflow.executedSteps;
        const saved = save.response.body.data;
        // A new bill: not one of the sandbox's starting bills the examples name.
        expect(saved.id).toMatch(/^[0-9]{19}$/);
        expect(push.request.body.billdata?.id ?? push.request.body.billid).toBe(saved.id);
        const { formid } = save.request.body;
        if (formid !== undefined) expect(formid).toBe(flows[i].push.from);
        expect(push.request.headers).toMatchObject({ groupname: CREDENTIALS.groupName, accountid: CREDENTIALS.accountId });
      }
    });
  });
});
