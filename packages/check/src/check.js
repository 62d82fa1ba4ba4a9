// `check({ upstream })`: exercises a tenant without writing to it. Each action the plan sends goes through
// @qzz/client (its credentials, bodies, selection, envelope and errors) with a fetch that paces the calls and
// hands each exchange to the proxy's checker, so the report lines, the capture and the masking are the proxy's.
// Each action gets a verdict; the run stops at a refused credential, a push that answered a saved id, a tenant
// that asks to wait too long, or no answer at all.
// `check({ har })` gives the same verdicts from a recording (recording.js): its exchanges go to the same checker,
// and the verdicts, outputs and coverage are made here, for both sources alike.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createQzzClient, QzzGatewayError } from '@qzz/client';
import { parseUpstream } from '@qzz/proxy';
import { startChecks } from '@qzz/proxy/checks';
import { cleanReportLine, cleanText, knownSecrets } from '@qzz/proxy/redact';
import { openReport } from '@qzz/proxy/report';
import { DEFAULT_SOURCES, rootSource, toSarif } from '@qzz/proxy/sarif';
import { applySelect } from '@qzz/spec/actions';
import { coverageTable, readCoverage, readRecords, summarise, touchedNames } from './coverage.js';
import { credentialsFromEnv } from './credentials.js';
import { pacer, recordingFetch } from './exchange.js';
import { writeJunit } from './junit.js';
import { billIds, clientFunction, exampleIds, fillIds, listedForm, planActions, savedBill } from './plan.js';
import { checkRecording } from './recording.js';
import { credentialsRefused, judge, noAnswer, progressLine, verdictLine } from './verdict.js';

/** Calls per second by default: one. */
export const DEFAULT_RATE = 1;
/** The most calls per second a check makes, whatever it is told. */
export const MAX_RATE = 10;
/** The longest a 429's Retry-After is waited for by default; a longer wait stops the run. */
export const DEFAULT_MAX_WAIT_MS = 60_000;
/** How many 429s in a row one action waits through before the run stops. */
export const MAX_RATE_LIMITED = 3;

/**
 * @typedef {{
 *   upstream?: string, har?: string, env?: Record<string, string | undefined>, spec?: string, specSources?: string,
 *   allowPush?: boolean,
 *   inputs?: Record<string, unknown>, rate?: number, maxWaitMs?: number, timeoutMs?: number,
 *   report?: string, junit?: string, sarif?: string, capture?: string, log?: (line: string) => void,
 *   fetch?: typeof globalThis.fetch, sleep?: (ms: number) => Promise<void>
 * }} CheckOptions
 * @typedef {import('./verdict.js').VerdictLine} VerdictLine
 * @typedef {import('./plan.js').Step} Step
 * @typedef {import('./plan.js').Action} Action
 * @typedef {{ exchange: import('@qzz/proxy/checks').FinishedExchange, lines: Promise<import('@qzz/proxy/checks').ExchangeLine[]> }} Recorded
 * @typedef {import('./recording.js').Recording} Recording
 * @typedef {{ verdicts: VerdictLine[], exitCode: 0 | 1 | 2, stopped?: string, calls: number, coverage: string,
 *   recording?: Recording }} CheckResult
 *   `calls`: the calls made (none from a recording); `recording`: what was read of a HAR.
 * @typedef {import('@qzz/proxy/report').ReportLine} ReportLine
 * @typedef {{ doc: any, specPath: string, sources?: string, report: Awaited<ReturnType<typeof openReport>>,
 *   written: ReportLine[] }} Outputs
 *   The bundle, the root source file SARIF locates discrepancies in (when SARIF is asked for), and the report with
 *   the discrepancy lines it wrote (for SARIF and coverage).
 */

const wait = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The options of a run against a tenant checked, with their defaults; throws an Error saying what is wrong.
 * @param {CheckOptions & { upstream: string }} options
 */
function settings(options) {
  const { rate = DEFAULT_RATE, maxWaitMs = DEFAULT_MAX_WAIT_MS, timeoutMs = 30_000 } = options;
  const upstream = parseUpstream(options.upstream);
  if (!(rate > 0 && rate <= MAX_RATE)) throw new Error(`The rate must be more than 0 and at most ${MAX_RATE} calls a second, not ${rate}.`);
  if (!(Number.isInteger(maxWaitMs) && maxWaitMs >= 0))
    throw new Error(`maxWaitMs must be a whole number of milliseconds, not ${maxWaitMs}.`);
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0))
    throw new Error(`timeoutMs must be a whole number of milliseconds, not ${timeoutMs}.`);
  const inputs = new Map(Object.entries(options.inputs ?? {}));
  return { upstream, rate, maxWaitMs, timeoutMs, inputs, sleep: options.sleep ?? wait };
}

/**
 * How long a 429 asks to wait: its Retry-After in seconds or as a date; undefined when it says nothing usable.
 * @param {Record<string, string | string[] | undefined>} headers
 */
export function retryAfterMs(headers) {
  const value = [headers['retry-after']].flat()[0]?.trim();
  if (!value) return undefined;
  if (/^[0-9]{1,9}$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * The spec's root source file SARIF locates the discrepancies in, when SARIF is asked for; checked before anything
 * is read or sent, so a run that could not write its SARIF never starts. The sources are the spec's YAML (a checkout
 * of the repository's `spec/`), which the published `@qzz/spec` does not ship; another bundle (`spec`) needs the
 * sources it was made from named, since the default ones would locate its discrepancies in files it was not made of.
 * @param {Pick<CheckOptions, 'sarif' | 'spec' | 'specSources'>} options
 * @returns {string | undefined}
 */
export function sarifSources({ sarif, spec, specSources }) {
  if (sarif === undefined) return undefined;
  if (spec !== undefined && specSources === undefined)
    throw new Error(
      'SARIF (--sarif) of another bundle (--spec) needs the folder of the sources it was made from (--spec-sources <dir>): the default sources would point into files that bundle was not made from.',
    );
  const sources = specSources === undefined ? DEFAULT_SOURCES : rootSource(specSources);
  if (!existsSync(sources))
    throw new Error(
      `SARIF (--sarif) needs the spec's source files (openapi.yaml and the files it references): ${sources} is not there. The published @qzz/spec ships the bundle only: run from a checkout of the spec's repository, or name its spec/ folder with --spec-sources <dir>.`,
    );
  return sources;
}

/**
 * Runs the check, against a tenant (`upstream`) or from a recording (`har`). Resolves with each action's verdict,
 * the exit status (0: nothing drifted, 1: drift, 2: the run could not finish) and the coverage table; rejects when
 * it cannot start (options, credentials, files).
 * @param {CheckOptions} options
 * @returns {Promise<CheckResult>}
 */
export async function check(options) {
  if (options.har !== undefined && options.upstream !== undefined)
    throw new Error('Check a tenant (upstream) or a recording (har), not both in one run.');
  if (options.har === undefined && options.upstream === undefined)
    throw new Error('Nothing to check: give an upstream (a tenant) or a har (a recording).');
  const sources = sarifSources(options);
  const specPath = options.spec ?? fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
  const doc = JSON.parse(await readFile(specPath, 'utf8'));
  if (options.har !== undefined) {
    const outputs = await openOutputs({ doc, specPath, sources }, options, options.log ?? (() => {}));
    const { verdicts, stopped, recording } = await checkRecording({
      ...outputs,
      har: options.har,
      capture: options.capture,
      log: options.log,
    });
    return { ...(await finish(outputs, options, verdicts, stopped)), calls: 0, recording };
  }
  return checkUpstream({ doc, specPath, sources }, /** @type {CheckOptions & { upstream: string }} */ (options));
}

/**
 * @typedef {Pick<Outputs, 'doc' | 'specPath' | 'sources'>} Spec the bundle checked against, and its sources for SARIF
 */

/**
 * The report, with every discrepancy line it writes kept for SARIF and coverage (the report folds repeats, so these
 * are as many as the distinct discrepancies and their repeat lines).
 * @param {Spec} spec
 * @param {CheckOptions} options
 * @param {(line: string) => void} log
 * @returns {Promise<Outputs>}
 */
async function openOutputs(spec, options, log) {
  /** @type {ReportLine[]} */
  const written = [];
  const report = await openReport({ file: options.report, log, onReport: (line) => written.push(line) });
  return { ...spec, report, written };
}

/**
 * What every run ends with, whatever its source: the verdict lines after the discrepancies in the report, the
 * JUnit and SARIF files, the exit status and the coverage table.
 * @param {Outputs} outputs
 * @param {CheckOptions} options
 * @param {VerdictLine[]} verdicts
 * @param {string | undefined} stopped why the run stopped, when it did
 */
async function finish({ doc, specPath, sources, report, written }, options, verdicts, stopped) {
  for (const line of verdicts) report.write(line);
  await report.close();
  if (options.junit) await writeJunit(options.junit, verdicts);
  if (options.sarif) await writeFile(options.sarif, `${JSON.stringify(toSarif(written, { spec: specPath, sources }), null, 2)}\n`);
  const exitCode = stopped ? 2 : verdicts.some((v) => v.verdict === 'drift') ? 1 : 0;
  const names = touchedNames(await readCoverage(), await readRecords(options.capture));
  const coverage = coverageTable(doc, summarise(doc, [...written, ...verdicts]), names);
  return { verdicts, exitCode: /** @type {0 | 1 | 2} */ (exitCode), ...(stopped ? { stopped } : {}), coverage };
}

/**
 * The run against a tenant.
 * @param {Spec} spec
 * @param {CheckOptions & { upstream: string }} options
 * @returns {Promise<CheckResult>}
 */
async function checkUpstream(spec, options) {
  const { doc, specPath } = spec;
  const { upstream, rate, maxWaitMs, timeoutMs, inputs, sleep } = settings(options);
  /** @type {Recorded[] | undefined} the exchanges of the call under way */
  let recording;
  let calls = 0;
  /** @type {((lines: import('@qzz/proxy/checks').ExchangeLine[]) => void)[]} */
  const settling = [];
  const pace = pacer(rate, sleep);
  const given = options.fetch ?? globalThis.fetch.bind(globalThis);
  // The checker is started below; exchanges only happen once it is.
  /** @type {Awaited<ReturnType<typeof startChecks>>} */
  let checks;
  const fetch = recordingFetch({
    upstream,
    fetch: given,
    pace,
    onExchange(exchange) {
      calls += 1;
      const lines = new Promise((resolve) => settling.push(resolve));
      recording?.push({ exchange, lines });
      if (!checks.submit(exchange)) settling.pop()?.([]);
    },
  });
  const credentials = credentialsFromEnv(options.env ?? process.env, { upstream: upstream.href.replace(/\/$/, ''), fetch });
  // Everything the check writes itself is cleaned of the credentials (the report's lines are the checker's, cleaned by it).
  const clean = (/** @type {string} */ text) => cleanText(text, knownSecrets([...credentials.secrets]));
  const log = (/** @type {string} */ line) => options.log?.(clean(line));
  const outputs = await openOutputs(spec, options, log);
  const { report } = outputs;
  try {
    checks = await startChecks({
      spec: specPath,
      capture: options.capture,
      log,
      // The checker cleans a line of what its exchange carries as secrets; the environment's values (the group
      // name and account id among them) are taken out too, wherever an answer echoes them.
      onSettled: (settled) => {
        const secrets = knownSecrets([...credentials.secrets]);
        const lines = settled.map((line) => cleanReportLine(line, secrets));
        report.add(lines);
        settling.shift()?.(lines);
      },
    });
  } catch (error) {
    await report.close();
    throw error;
  }
  const client = createQzzClient({
    baseUrl: upstream.href.replace(/\/$/, ''),
    credentials: credentials.provider,
    fetch,
    retries: 0,
    timeoutMs,
  });
  const run = { doc, client, checks, settling, pace, sleep, maxWaitMs, credentials, log, clean };
  /** @type {VerdictLine[]} */
  let verdicts;
  /** @type {string | undefined} */
  let stopped;
  try {
    ({ verdicts, stopped } = await runSteps(
      run,
      planActions(doc, { allowPush: Boolean(options.allowPush), inputs, flow: credentials.flow }),
      (calls) => {
        recording = calls;
      },
    ));
  } finally {
    await checks.flush();
    await checks.close();
  }
  return { ...(await finish(outputs, options, verdicts, stopped)), calls };
}

/**
 * @typedef {{ doc: any, client: any, checks: Awaited<ReturnType<typeof startChecks>>,
 *   settling: ((lines: import('@qzz/proxy/checks').ExchangeLine[]) => void)[], sleep: (ms: number) => Promise<void>,
 *   maxWaitMs: number, credentials: import('./credentials.js').CheckCredentials, log: (line: string) => void,
 *   clean: (text: string) => string }} Run
 */

/**
 * Takes the steps one after another, stopping where the run must; every action gets its verdict.
 * @param {Run} run
 * @param {Step[]} steps
 * @param {(recording: Recorded[] | undefined) => void} record where the exchanges of the call under way go
 */
async function runSteps(run, steps, record) {
  /** @type {Map<string, VerdictLine>} */
  const verdicts = new Map();
  /** @type {Map<string, string[]>} form id → bill ids this run's queries answered */
  const listed = new Map();
  const documented = exampleIds(run.doc);
  /** @type {string | undefined} */
  let stopped;
  const total = steps.length;
  let index = 0;
  const say = (/** @type {VerdictLine} */ line) => {
    verdicts.set(line.action, line);
    index += 1;
    run.log(progressLine(index, total, line));
  };
  const verdictOf = (/** @type {Action} */ action, /** @type {ReturnType<typeof judge>} */ judged) =>
    verdictLine(action, judged.reason === undefined ? judged : { ...judged, reason: run.clean(judged.reason) }, 'upstream');

  const credentialSteps = steps.filter((step) => step.send === 'credentials');
  if (credentialSteps.length) {
    const outcome = await fetchCredentials(run, credentialSteps, record);
    for (const [step, verdict] of outcome.verdicts) say(verdictOf(step.action, verdict));
    stopped = outcome.stop;
  }
  for (const step of steps) {
    const { action } = step;
    if (step.send === 'credentials') continue;
    if (stopped) {
      say(verdictOf(action, { verdict: 'not-run', reason: `the run stopped before it: ${stopped}` }));
      continue;
    }
    if (step.send === 'never') {
      say(verdictOf(action, { verdict: 'not-run', reason: step.reason }));
      continue;
    }
    let input;
    if (step.send === 'body') input = step.input;
    else if (step.send === 'derived') {
      const id = listed.get(step.form)?.[0];
      if (id === undefined) {
        say(verdictOf(action, { verdict: 'not-run', reason: `needs an id of a ${step.form} bill: this run's queries answered none` }));
        continue;
      }
      input = fillIds(step.template, step.places, id);
    }
    const outcome = await attempt(run, step, input, record);
    say(verdictOf(action, outcome.verdict));
    stopped = outcome.stop;
    const form = listedForm(action);
    if (form && outcome.data !== undefined) listed.set(form, billIds(outcome.data, documented));
  }
  return { verdicts: steps.map((s) => /** @type {VerdictLine} */ (verdicts.get(s.action.name))), stopped };
}

/**
 * Sends one action (through the client's function for it, or `client.call` for an action the client does not
 * know), waiting through 429s as their Retry-After says; judges its last exchange.
 * @param {Run} run
 * @param {Step} step
 * @param {unknown} input
 * @param {(recording: Recorded[] | undefined) => void} record
 * @returns {Promise<{ verdict: ReturnType<typeof judge>, stop?: string, data?: unknown }>}
 */
async function attempt(run, step, input, record) {
  const { action } = step;
  for (let limited = 0; ; limited++) {
    /** @type {Recorded[]} */
    const recorded = [];
    record(recorded);
    let data;
    let error;
    try {
      data = await send(run, action, input);
    } catch (caught) {
      error = caught;
    }
    record(undefined);
    const mine = recorded.filter((r) => r.exchange.pathname === action.wirePath);
    const last = mine.at(-1);
    const lines = await settledLines(run, last);
    if (error instanceof QzzGatewayError && error.status === 429 && last) {
      const asked = retryAfterMs(last.exchange.responseHeaders) ?? 2000 * 2 ** limited;
      if (limited + 1 > MAX_RATE_LIMITED)
        return { verdict: judge({ lines, error }), stop: `still rate-limited (429) after ${MAX_RATE_LIMITED} waits` };
      if (asked > run.maxWaitMs)
        return {
          verdict: judge({ lines, error }),
          stop: `the tenant asks to wait ${Math.ceil(asked / 1000)} s (429 Retry-After), longer than the ${run.maxWaitMs / 1000} s the check waits`,
        };
      run.log(`${action.name}: rate-limited (429); waiting ${Math.ceil(asked / 1000)} s as Retry-After says`);
      await run.sleep(asked);
      continue;
    }
    const verdict = judge({ lines, error });
    if (credentialsRefused(error))
      return { verdict, stop: 'the credentials were refused (after the one refresh the client makes where it can)' };
    if (error !== undefined && !(error instanceof QzzGatewayError) && verdict.verdict === 'not-run')
      return { verdict, stop: noAnswer(error) };
    if (action.kind === 'push' && error === undefined && savedBill(data))
      return {
        verdict,
        stop: `${action.name} answered a saved bill's id, not an unsaved draft's ("0"): a push may have written, so the run stops`,
      };
    return { verdict, data };
  }
}

/**
 * The Kingdee flow's calls, made once before any business call: each call's verdict from its last exchange. A flow
 * that gives no credentials stops the run (nothing else can be called).
 * @param {Run} run
 * @param {Step[]} steps the flow's calls
 * @param {(recording: Recorded[] | undefined) => void} record
 * @returns {Promise<{ verdicts: [Step, ReturnType<typeof judge>][], stop?: string }>}
 */
async function fetchCredentials(run, steps, record) {
  /** @type {Recorded[]} */
  const recorded = [];
  record(recorded);
  let error;
  try {
    await run.credentials.provider.get();
  } catch (caught) {
    error = caught;
  }
  record(undefined);
  /** @type {[Step, ReturnType<typeof judge>][]} */
  const verdicts = [];
  for (const step of steps) {
    const last = recorded.filter((r) => r.exchange.pathname === step.action.wirePath).at(-1);
    const lines = await settledLines(run, last);
    // The client names the call that failed (`system.getKingdeeAuthToken`); a call never made has no verdict but why.
    const failed = error instanceof Error && /** @type {any} */ (error).action === `system.${step.action.name}`;
    verdicts.push([
      step,
      last ? judge({ lines, error: failed ? error : undefined }) : { verdict: 'not-run', reason: 'the Kingdee flow failed before it' },
    ]);
  }
  if (error === undefined) return { verdicts };
  return {
    verdicts,
    stop: `the Kingdee flow gave no credentials (${error instanceof QzzGatewayError ? 'refused by the gateway' : noAnswer(error)})`,
  };
}

/**
 * The checker's lines of one exchange, once it has settled it (none when there was no exchange, or the checker
 * lost it).
 * @param {Run} run
 * @param {Recorded | undefined} recorded
 */
async function settledLines(run, recorded) {
  await run.checks.flush();
  // A checker that died and was replaced settles nothing more of what it held: those exchanges have no lines.
  for (const resolve of run.settling.splice(0)) resolve([]);
  return recorded ? await recorded.lines : [];
}

/**
 * One call of an action through the client.
 * @param {Run} run
 * @param {Action} action
 * @param {unknown} input
 */
function send(run, action, input) {
  const fn = clientFunction(run.client, action);
  if (fn) return fn(input);
  const media = Object.keys(run.doc.paths[action.path][action.method].requestBody?.content ?? {})[0];
  return run.client.call(action.wirePath, applySelect(action.select, input), {
    kind: action.kind,
    contentType: media === 'text/plain' ? 'text/plain' : 'application/json',
  });
}
