// `check({ har })`: the verdicts of a recording. `@qzz/proxy/har` reads the HAR as a stream, its entries on the
// gateway's routes go to the proxy's checker as the proxy's own exchanges would (same report lines, capture and
// masking), and each exchange the checker matched to an action is judged as a call of `check --upstream` is
// (verdict.js), its answer read by the client's rules (`answerSucceeded`, `answerFailure`). An action's verdict sums its exchanges:
// `drift` when one drifted, else `matches` when one matched, else `refused`, else `not-run` (why); an action the
// recording never calls is `not-run: not in the recording`. Nothing is sent anywhere: no credentials are needed.
import { stat } from 'node:fs/promises';
import { answerFailure, answerSucceeded } from '@qzz/client';
import { startChecks } from '@qzz/proxy/checks';
import { checkHar, readHar } from '@qzz/proxy/har';
import { listActions } from '@qzz/spec/actions';
import { judge, progressLine, verdictLine } from './verdict.js';

/** The reason of an action the recording never calls. */
export const NOT_RECORDED = 'not in the recording';
/** How often (in entries read) the progress says how far the reading is. */
const PROGRESS_EVERY = 10_000;

/**
 * @typedef {{ entries: number, exchanges: number, unchecked: number,
 *   skipped: { count: number, byReason: Record<string, number> } }} Recording
 *   What was read: entries in the file, exchanges on the gateway's routes checked (and how many the checker could not
 *   take), entries skipped and why (`not-gateway`: not on the gateway's routes; see `@qzz/proxy/har`'s SKIP_REASONS).
 * @typedef {{ exchanges: number, drift?: { judged: ReturnType<typeof judge>, count: number },
 *   matches: number, refused?: ReturnType<typeof judge>, notRun?: ReturnType<typeof judge> }} Tally
 *   One action's exchanges so far, by how they were judged.
 */

/**
 * The judgement of one exchange the checker matched to an action: its lines, and its answer as the client reads it
 * (in the gateway's envelope for its own signed calls, the vendor's for business calls).
 * @param {string} action
 * @param {import('@qzz/proxy/checks').ExchangeLine[]} lines
 * @param {import('@qzz/proxy/checks').Seen} seen
 * @param {import('@qzz/client').Envelope} envelope
 */
function judgeExchange(action, lines, seen, envelope) {
  const answered = answerSucceeded(envelope, seen.status, seen.answer);
  return judge({ lines, error: answered ? undefined : answerFailure(action, seen.status, seen.answer) });
}

/**
 * An action's verdict from its tally.
 * @param {Tally | undefined} tally
 * @returns {ReturnType<typeof judge>}
 */
function summed(tally) {
  if (!tally) return { verdict: 'not-run', reason: NOT_RECORDED };
  const of = `of ${tally.exchanges} recorded ${tally.exchanges === 1 ? 'exchange' : 'exchanges'}`;
  if (tally.drift) return { ...tally.drift.judged, reason: `in ${tally.drift.count} ${of}, the first: ${tally.drift.judged.reason}` };
  if (tally.matches) return { verdict: 'matches' };
  return /** @type {ReturnType<typeof judge>} */ (tally.refused ?? tally.notRun);
}

/**
 * Reads and checks a recording; resolves with a verdict per action of the spec (in the spec's order), what was read,
 * and why the run stopped when the file broke off (the reader's reason: a file that is not a HAR, or whose
 * structure breaks). Rejects when the file cannot be opened or the checker cannot start.
 * @param {import('./check.js').Outputs & { har: string, capture?: string, log?: (line: string) => void }} options
 */
export async function checkRecording({ doc, specPath, report, har, capture, log = () => {} }) {
  if (!(await stat(har)).isFile()) throw new Error(`${har} is not a file.`);
  /** @type {Map<string, Tally>} */
  const tallies = new Map();
  const actions = listActions(doc);
  const signed = new Set(actions.filter((a) => a.signed).map((a) => a.name));
  const checks = await startChecks({
    spec: specPath,
    capture,
    log,
    onSettled(lines, seen) {
      report.add(lines);
      if (!seen?.action) return; // a route or action the spec lacks: its lines say so, and it is captured
      const tally = tallies.get(seen.action) ?? { exchanges: 0, matches: 0 };
      tallies.set(seen.action, tally);
      tally.exchanges++;
      const judged = judgeExchange(seen.action, lines, seen, signed.has(seen.action) ? 'gateway' : 'business');
      if (judged.verdict === 'drift') tally.drift = { judged: tally.drift?.judged ?? judged, count: (tally.drift?.count ?? 0) + 1 };
      else if (judged.verdict === 'matches') tally.matches++;
      else if (judged.verdict === 'refused') tally.refused = judged;
      else tally.notRun = judged;
    },
  });
  const reading = readHar(har, { spec: specPath });
  /** @type {string | undefined} */
  let stopped;
  let read = { exchanges: 0, unchecked: 0 };
  const progress = setInterval(() => {
    if (reading.entries >= PROGRESS_EVERY) log(`read ${reading.entries} entries of the recording…`);
  }, 5000).unref();
  try {
    read = await checkHar(reading, checks);
  } catch (error) {
    // The reader's reason names where the file broke and how, never a value of it.
    stopped = `the recording could not be read: ${error instanceof Error ? error.message : String(error)}`;
    await checks.flush();
  } finally {
    clearInterval(progress);
    await checks.close();
  }
  const { count, byReason } = reading.skipped;
  /** @type {Recording} */
  const recording = { entries: reading.entries, ...read, skipped: { count, byReason: /** @type {Record<string, number>} */ (byReason) } };
  log(recordingSummary(recording));
  const verdicts = actions.map((action, index) => {
    const line = verdictLine(action, summed(tallies.get(action.name)), 'har');
    log(progressLine(index + 1, actions.length, line));
    return line;
  });
  return { verdicts, stopped, recording };
}

/**
 * The summary of what was read, for the console.
 * @param {Recording} recording
 */
export function recordingSummary({ entries, exchanges, unchecked, skipped }) {
  const reasons = Object.entries(skipped.byReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return `read ${entries} ${entries === 1 ? 'entry' : 'entries'} of the recording: ${exchanges} on the gateway's routes checked${unchecked ? ` (${unchecked} could not be)` : ''}, ${skipped.count} skipped${reasons ? ` (${reasons})` : ''}`;
}
