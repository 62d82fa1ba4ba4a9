#!/usr/bin/env node
// `qzz-check --upstream <url> [options]`: checks the spec against a tenant; `qzz-check --har <file.har>`: against a
// recording; `qzz-check --coverage <report.jsonl>...` merges reports into the coverage table. Progress goes to stderr, the coverage table to stdout. Exit status: 0
// nothing drifted, 1 drift, 2 could not run.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KINGDEE_VARIABLES, TOKEN_VARIABLES } from '@qzz/client';
import { cleanText, knownSecrets } from '@qzz/proxy/redact';
import { listActions } from '@qzz/spec/actions';
import { check, DEFAULT_MAX_WAIT_MS, DEFAULT_RATE, MAX_RATE } from './check.js';
import { coverageTable, readCoverage, readRecords, readReport, summarise, touchedNames } from './coverage.js';
import { environmentSecrets } from './credentials.js';

/** The most an --input file may hold (the mock's and the proxy's limit on a body). */
const MAX_INPUT_BYTES = 1024 * 1024;

const help = `Usage:
  qzz-check --upstream <url> [--allow-push] [--input <action>=<file.json>]... [--rate <calls/s>]
            [--report <file.jsonl>] [--junit <file.xml>] [--sarif <file.sarif>] [--capture <dir>]
            [--max-wait <s>] [--timeout <ms>] [--spec <bundle.json>] [--spec-sources <dir>] [--quiet]
  qzz-check --har <file.har> [--report <file.jsonl>] [--junit <file.xml>] [--sarif <file.sarif>] [--capture <dir>]
            [--spec <bundle.json>] [--spec-sources <dir>] [--quiet]
  qzz-check --coverage <report.jsonl>... [--capture <dir>]

Checks the spec against a tenant without writing to it, or against a recording of its traffic (a HAR 1.2 file
as a browser's network panel, Charles, Fiddler, mitmproxy, Postman or Insomnia export it): one verdict per
action (matches, drift, refused, not run), then the coverage table. From a recording, entries not on the
gateway's routes are counted and skipped, an action it never calls is "not run: not in the recording", and
nothing is sent anywhere (no credentials needed).

Credentials come from the environment only, never from the command line, and are never printed:
  ${TOKEN_VARIABLES.join(', ')} (an account set's values), or
  ${KINGDEE_VARIABLES.join(', ')} (Kingdee's OpenAPI 2.0 flow; QZZ_ACCOUNT_ID picks an account set).

What it sends:
  Queries and reads run. Saves, audits and every other kind that writes are never sent ("not run: writes").
  Pushes run only with --allow-push. Why that is believed safe: the vendor's examples answer a push with an
  unsaved draft (id "0"), a bill that exists nowhere until someone saves it. Where a push's answer carries a
  non-zero id, the tenant may have saved it: the check stops there and says so.
  Bodies are real: a query's answer supplies a bill's id where the spec names the push's source bill (from);
  --input <action>=<file.json> gives an action its body (the client fills in the values that select the
  action); an action with no input is "not run: needs …". The vendor's documented example ids are never sent.
  Polite: one call at a time, at most --rate a second (default ${DEFAULT_RATE}, at most ${MAX_RATE}); a 429 waits as its
  Retry-After says (at most --max-wait seconds, default ${DEFAULT_MAX_WAIT_MS / 1000}; longer stops the run); a refused credential
  stops the run after the client's one refresh (1030002006 refreshes once in the Kingdee flow).

Outputs:
  --report <file.jsonl>  the proxy's discrepancy lines, then one verdict line per action (appended)
  --junit <file.xml>     one test case per action: drift and refused fail, not run is skipped with its reason
  --sarif <file.sarif>   SARIF 2.1.0 of the discrepancies, each at the spec source file and line to fix (code scanning).
                         Needs the spec's source YAML, which the published @qzz/spec does not ship: run it in a
                         checkout of the spec's repository, or name its spec/ folder with --spec-sources. Checked
                         before any call: without the sources the check refuses to start (exit 2).
  --capture <dir>        what the spec lacks, as evidence records for \`pnpm spec:add\`
  --coverage <report.jsonl>...  the coverage table of earlier checks' and the proxy's reports, merged

The spec:
  --spec <bundle.json>   another bundle to check against (default: @qzz/spec's); with --sarif, name its sources too
  --spec-sources <dir>   the folder of the spec's sources (openapi.yaml and the files it references) for --sarif

Exit status: 0 nothing drifted, 1 drift, 2 the check could not run (or stopped).`;

/** A path as the caller meant it: pnpm runs the root script in the repository root (INIT_CWD is the caller's). */
const fromCaller = (/** @type {string | undefined} */ path) =>
  path === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), path);

/**
 * Stops with status 2 and why (and where to read the options).
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  process.stderr.write(`${message}\nRun qzz-check --help for the options.\n`);
  process.exit(2);
}

/**
 * The --input options read: action name → body. Each names an action of the spec and a JSON object of at most 1 MiB.
 * @param {string[]} entries
 * @param {Set<string>} names
 */
async function readInputs(entries, names) {
  /** @type {Record<string, unknown>} */
  const inputs = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const name = entry.slice(0, at);
    const file = fromCaller(entry.slice(at + 1));
    if (at < 1 || !file) fail(`--input takes <action>=<file.json>, not "${entry}".`);
    if (!names.has(name)) fail(`--input names no action of the spec: "${name}".`);
    const size = (await stat(/** @type {string} */ (file)).catch(() => fail(`--input ${name}: cannot read ${file}.`))).size;
    if (size > MAX_INPUT_BYTES) fail(`--input ${name}: ${file} is over ${MAX_INPUT_BYTES} bytes.`);
    let value;
    try {
      value = JSON.parse(await readFile(/** @type {string} */ (file), 'utf8'));
    } catch {
      fail(`--input ${name}: ${file} is not JSON.`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      fail(`--input ${name}: ${file} must hold a JSON object (the body).`);
    inputs[name] = value;
  }
  return inputs;
}

/** A whole number option within bounds, or a failure naming it. */
function wholeNumber(
  /** @type {string | undefined} */ value,
  /** @type {string} */ option,
  /** @type {number} */ fallback,
  max = 2 ** 31 - 1,
) {
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) > max) fail(`${option} must be a whole number up to ${max}, not "${value}".`);
  return Number(value);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      upstream: { type: 'string' },
      har: { type: 'string' },
      coverage: { type: 'boolean' },
      'allow-push': { type: 'boolean' },
      input: { type: 'string', multiple: true },
      rate: { type: 'string' },
      'max-wait': { type: 'string' },
      timeout: { type: 'string' },
      report: { type: 'string' },
      junit: { type: 'string' },
      sarif: { type: 'string' },
      capture: { type: 'string' },
      spec: { type: 'string' },
      'spec-sources': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
} catch (error) {
  fail(error.message);
}
const { values: options, positionals } = /** @type {NonNullable<typeof parsed>} */ (parsed);
if (options.help) {
  process.stdout.write(`${help}\n`);
  process.exit(0);
}
const specPath = fromCaller(options.spec) ?? fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json'));
const doc = JSON.parse(await readFile(specPath, 'utf8'));

if (options.coverage) {
  if (options.upstream || options.har) fail('--coverage merges reports; it checks nothing itself: leave out --upstream and --har.');
  if (!positionals.length) fail('--coverage needs the report files to merge: --coverage <report.jsonl>...');
  const lines = [];
  for (const file of positionals)
    lines.push(...(await readReport(/** @type {string} */ (fromCaller(file))).catch((error) => fail(error.message))));
  const names = touchedNames(await readCoverage(), await readRecords(fromCaller(options.capture)));
  process.stdout.write(coverageTable(doc, summarise(doc, lines), names));
  process.exit(0);
}
if (options.upstream && options.har) fail('--upstream checks a tenant, --har a recording: give one of them, not both.');
if (!options.upstream && !options.har)
  fail('--upstream (the gateway or a stand-in to check, e.g. https://api.kingdee.com) or --har (a recording) is required.');
if (positionals.length) fail(`Unexpected argument "${positionals[0]}": credentials come from the environment, never the command line.`);
/** The outputs, wherever the verdicts come from. */
const outputs = {
  spec: fromCaller(options.spec),
  report: fromCaller(options.report),
  junit: fromCaller(options.junit),
  sarif: fromCaller(options.sarif),
  specSources: fromCaller(options['spec-sources']),
  capture: fromCaller(options.capture),
  log: options.quiet ? undefined : (/** @type {string} */ line) => process.stderr.write(`${line}\n`),
};
if (options.har) {
  const sent = ['allow-push', 'input', 'rate', 'max-wait', 'timeout'].filter((name) => options[name] !== undefined);
  if (sent.length) fail(`--${sent[0]} is about calls to a tenant; a recording (--har) makes none.`);
  await finish(() => check({ har: /** @type {string} */ (fromCaller(options.har)), ...outputs }));
}
const rate = options.rate === undefined ? DEFAULT_RATE : Number(options.rate);
if (!/^[0-9]*\.?[0-9]+$/.test(options.rate ?? '1') || !(rate > 0 && rate <= MAX_RATE))
  fail(`--rate must be a number of calls a second above 0 and at most ${MAX_RATE}, not "${options.rate}".`);

const inputs = await readInputs(options.input ?? [], new Set(listActions(doc).map((a) => a.name)));
await finish(() =>
  check({
    upstream: options.upstream,
    ...outputs,
    allowPush: Boolean(options['allow-push']),
    inputs,
    rate,
    maxWaitMs: wholeNumber(options['max-wait'], '--max-wait', DEFAULT_MAX_WAIT_MS / 1000, 86_400) * 1000,
    timeoutMs: wholeNumber(options.timeout, '--timeout', 30_000) || fail('--timeout must be above 0.'),
  }),
);

/**
 * Runs the check, prints the coverage table and exits with its status; 2 with why when it cannot run.
 * @param {() => ReturnType<typeof check>} run
 * @returns {Promise<never>}
 */
async function finish(run) {
  try {
    const result = await run();
    process.stdout.write(result.coverage);
    if (result.stopped) process.stderr.write(`The check stopped: ${result.stopped}\n`);
    process.exit(result.exitCode);
  } catch (error) {
    // Its messages name options and variables, never their values; the environment's values are scrubbed all the same.
    fail(`The check could not run: ${cleanText(String(error.message), knownSecrets(environmentSecrets(process.env)))}`);
  }
}
