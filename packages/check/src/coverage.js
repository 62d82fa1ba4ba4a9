// Coverage: of the spec's actions, which matched, drifted, were refused, were not run, or were never seen; and of
// the endpoint names spec/coverage.yaml lists, which captured traffic has touched though the spec lacks them.
// Read from verdict lines (this run's, earlier checks') and the proxy's report lines, in any order: an action's
// state is its latest line's. Report files come from outside: a line is used only when its fields are what the
// check and the proxy write (an action of the spec, a known verdict, a time), and the table names nothing else.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listActions } from '@qzz/spec/actions';
import { parse } from 'yaml';

/** What a verdict counts as in the table. */
const STATES = /** @type {const} */ ({ matches: 'matched', drift: 'drifted', refused: 'refused', 'not-run': 'not run' });
const ORDER = ['matched', 'drifted', 'refused', 'not run', 'never seen'];
// Report lines that say nothing against an action: an exchange not checked, or traffic the spec lacks.
const NOT_ACTION_DRIFT = new Set(['not-validated', 'unknown-route', 'unknown-action']);
/** The most of one report file `--coverage` reads. */
export const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/**
 * @typedef {{ state: string, time: string, source: string }} ActionState
 * @typedef {{ actions: Map<string, ActionState>, unknown: Set<string> }} Summary
 *   Each action's latest state, and the routes or actions the spec lacks that traffic showed (as the proxy's lines
 *   name them: route and selector shape).
 */

/**
 * The lines of a report file (JSON Lines): objects only; a line that is not JSON is skipped. A file over `maxBytes`
 * is refused before any of it is read.
 * @param {string} file
 * @param {{ maxBytes?: number }} [options]
 */
export async function readReport(file, { maxBytes = MAX_REPORT_BYTES } = {}) {
  if ((await stat(file)).size > maxBytes) throw new Error(`${file} is over ${maxBytes} bytes.`);
  const text = await readFile(file, 'utf8');
  return text.split('\n').flatMap((line) => {
    if (!line.trim()) return [];
    try {
      const value = JSON.parse(line);
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? [value] : [];
    } catch {
      return [];
    }
  });
}

/** A line's time as an ISO string, or undefined when it has none that parses. */
const timeOf = (/** @type {any} */ line) => (typeof line.time === 'string' && !Number.isNaN(Date.parse(line.time)) ? line.time : undefined);

/**
 * Each action's latest state from verdict lines and the proxy's report lines.
 * @param {any} doc the bundle
 * @param {any[]} lines
 * @returns {Summary}
 */
export function summarise(doc, lines) {
  const names = new Set(listActions(doc).map((a) => a.name));
  /** @type {Map<string, ActionState>} */
  const actions = new Map();
  const unknown = new Set();
  const note = (/** @type {string} */ name, /** @type {ActionState} */ state) => {
    const before = actions.get(name);
    if (!before || Date.parse(before.time) <= Date.parse(state.time)) actions.set(name, state);
  };
  for (const line of lines) {
    const time = timeOf(line);
    if (!time) continue;
    if (typeof line.verdict === 'string' && Object.hasOwn(STATES, line.verdict) && names.has(line.action)) {
      note(line.action, {
        state: STATES[/** @type {keyof typeof STATES} */ (line.verdict)],
        time,
        source: line.source === 'har' ? 'har' : 'upstream',
      });
    } else if (line.kind === 'unknown-route' || line.kind === 'unknown-action') {
      unknown.add(`${line.route} ${line.seen}`);
    } else if (typeof line.kind === 'string' && !NOT_ACTION_DRIFT.has(line.kind) && names.has(line.action)) {
      note(line.action, { state: 'drifted', time, source: 'proxy' });
    }
  }
  return { actions, unknown };
}

/**
 * The unspecified endpoint names of spec/coverage.yaml that captured records name: a record's `title` (set by the
 * person who reviews it, before `spec:add`) equal to the vendor's name or one of its other names.
 * @param {any} coverage parsed spec/coverage.yaml
 * @param {{ title?: unknown }[]} records
 */
export function touchedNames(coverage, records) {
  const titles = new Set(records.map((r) => r.title).filter((t) => typeof t === 'string'));
  const endpoints = Object.values(coverage.modules ?? {}).flatMap((m) => /** @type {any} */ (m).endpoints ?? []);
  const unspecified = endpoints.filter((e) => e.spec === 'unspecified');
  return {
    total: endpoints.length,
    unspecified: unspecified.length,
    touched: unspecified.filter((e) => [e.name, ...(e.aka ?? [])].some((name) => titles.has(name))).map((e) => String(e.name)),
  };
}

/**
 * The evidence records a capture folder holds (`captured-*.json`); none when there is no folder.
 * @param {string | undefined} dir
 */
export async function readRecords(dir) {
  if (dir === undefined) return [];
  const names = await readdir(dir).catch(() => []);
  const records = [];
  for (const name of names.filter((n) => /^captured-[a-z0-9-]+\.json$/.test(n))) {
    try {
      records.push(JSON.parse(await readFile(join(dir, name), 'utf8')));
    } catch {
      // A record being written or broken names nothing.
    }
  }
  return records.filter((r) => r !== null && typeof r === 'object');
}

/** spec/coverage.yaml, parsed. */
export async function readCoverage() {
  return parse(await readFile(fileURLToPath(import.meta.resolve('@qzz/spec/coverage.yaml')), 'utf8'));
}

/**
 * The coverage table as text.
 * @param {any} doc the bundle
 * @param {Summary} summary
 * @param {{ total: number, unspecified: number, touched: string[] }} names
 */
export function coverageTable(doc, summary, names) {
  const actions = listActions(doc);
  const rows = actions.map((a) => ({
    name: a.name,
    kind: a.kind,
    ...(summary.actions.get(a.name) ?? { state: 'never seen', time: '', source: '' }),
  }));
  const counts = ORDER.map((state) => `${rows.filter((r) => r.state === state).length} ${state}`).join(', ');
  const width = Math.max(...rows.map((r) => r.name.length));
  return [
    `Coverage of the spec's ${actions.length} actions: ${counts}`,
    ...rows
      .toSorted((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state))
      .map((r) =>
        `  ${r.state.padEnd(10)}  ${r.name.padEnd(width)}  ${r.kind.padEnd(10)}  ${r.time.slice(0, 10)}${r.source ? ` (${r.source})` : ''}`.trimEnd(),
      ),
    `Endpoint names in spec/coverage.yaml: ${names.total}, ${names.total - names.unspecified} specified; of the ${names.unspecified} unspecified, captured traffic touched ${names.touched.length ? names.touched.join(', ') : 'none'}`,
    `Routes or actions the spec lacks, seen in traffic: ${summary.unknown.size}`,
    '',
  ].join('\n');
}

/**
 * Each action's last verdict against a tenant (a check's verdict lines only) and its date: what the docs' Coverage
 * page shows. No reason, code or value: only the verdict and the day.
 * @param {any} doc the bundle
 * @param {any[]} lines
 * @returns {Map<string, { verdict: string, date: string }>}
 */
export function lastVerdicts(doc, lines) {
  const summary = summarise(
    doc,
    lines.filter((line) => typeof line.verdict === 'string'),
  );
  return new Map([...summary.actions].map(([name, s]) => [name, { verdict: s.state, date: s.time.slice(0, 10) }]));
}
