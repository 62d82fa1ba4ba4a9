// The report: one JSON line per discrepancy (and a console line), folded across exchanges. The first time a
// discrepancy is seen (per route, action, direction, status, kind and pattern; for an unknown action, per
// selector) its line is written at once, with `count` (occurrences in that exchange) and `exchanges: 1`. Later
// occurrences are only counted, and written as one `repeat: true` line per discrepancy every
// REPEAT_SUMMARY_MS, at every flush and at close: the first of those occurrences' line (its pointer, seen and
// time as `since`) with the `count` and `exchanges` since the line before. Summing `count` or `exchanges` over a discrepancy's lines gives
// its totals. At most MAX_TRACKED_DISCREPANCIES are remembered: past that, the repeats are written, memory is
// cleared, and a discrepancy seen again is written as new.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { MAX_TRACKED_DISCREPANCIES, REPEAT_SUMMARY_MS } from './limits.js';

/**
 * @typedef {import('./settle.js').ExchangeLine & { exchanges: number, repeat?: true, since?: string }} ReportLine
 * @typedef {{ first?: import('./settle.js').ExchangeLine, count: number, exchanges: number }} Repeats
 *   A discrepancy's occurrences since its last line: the first of them, how many, in how many exchanges.
 */

/** What tells one discrepancy from another across exchanges. */
export const discrepancyKey = (/** @type {import('./settle.js').ExchangeLine} */ line) =>
  [line.route, line.action, line.direction, line.status, line.kind, line.pattern, line.kind === 'unknown-action' ? line.seen : ''].join(
    '\u0000',
  );

/** The console's short line for a report line. */
function consoleLine(/** @type {ReportLine} */ line) {
  const head = `${line.time.slice(11, 19)} ${line.action ?? line.route} ${line.direction}${line.status ? ` ${line.status}` : ''}`;
  if (line.repeat)
    return `${head} ${line.pattern || '/'} ${line.kind}: seen again ${line.count}× in ${line.exchanges} exchanges since ${line.since?.slice(11, 19)}`;
  const times = line.count > 1 ? ` (${line.count}× at ${line.pattern})` : '';
  return `${head} ${line.pointer || '/'} ${line.kind}: spec ${line.spec}; seen ${line.seen}${times}`;
}

/**
 * The report file, opened for appending; rejects with a message when it cannot be written. A file that stops
 * being writable later (a full disk) is said once on the console; traffic goes on.
 * @param {string} file
 * @param {(line: string) => void} log
 */
async function openReportFile(file, log) {
  const stream = createWriteStream(file, { flags: 'a' });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new Error(`Cannot write the report to ${file}: ${error.code ?? error.message}.`);
  }
  stream.once('error', (/** @type {NodeJS.ErrnoException} */ error) =>
    log(`the report ${file} can no longer be written (${error.code ?? error.message}); reporting to the console only`),
  );
  return stream;
}

/**
 * Opens the report: the file when one is named, `onReport` and the console.
 * @param {{ file?: string, onReport?: (line: ReportLine) => void, log: (line: string) => void }} options
 */
export async function openReport({ file, onReport, log }) {
  const stream = file === undefined ? undefined : await openReportFile(file, log);

  /** @param {ReportLine} line */
  function emit(line) {
    if (stream?.writable) stream.write(`${JSON.stringify(line)}\n`);
    onReport?.(line);
    log(consoleLine(line));
  }

  /** @type {Map<string, Repeats>} */
  const seen = new Map();

  /** Writes one `repeat` line per discrepancy seen again since its last line. */
  function summarise() {
    const time = new Date().toISOString();
    for (const repeats of seen.values()) {
      if (!repeats.first) continue;
      emit({ ...repeats.first, time, count: repeats.count, exchanges: repeats.exchanges, repeat: true, since: repeats.first.time });
      repeats.first = undefined;
      repeats.count = 0;
      repeats.exchanges = 0;
    }
  }
  const timer = setInterval(summarise, REPEAT_SUMMARY_MS).unref();

  return {
    /**
     * One exchange's lines: each new discrepancy written, each known one counted.
     * @param {import('./settle.js').ExchangeLine[]} lines
     */
    add(lines) {
      for (const line of lines) {
        const key = discrepancyKey(line);
        const repeats = seen.get(key);
        if (repeats) {
          repeats.first ??= line;
          repeats.count += line.count;
          repeats.exchanges += 1;
          continue;
        }
        if (seen.size >= MAX_TRACKED_DISCREPANCIES) {
          summarise();
          seen.clear();
        }
        seen.set(key, { count: 0, exchanges: 0 });
        emit({ ...line, exchanges: 1 });
      }
    },
    /**
     * Writes a line of the caller's own to the file only, between the discrepancies (the check's verdicts).
     * @param {object} line
     */
    write(line) {
      if (stream?.writable) stream.write(`${JSON.stringify(line)}\n`);
    },
    /** Writes the repeats so far; resolves once every line is in the file. */
    async flush() {
      summarise();
      // Writes are ordered: once an empty one is done, every line before it is in the file.
      if (stream?.writable) await new Promise((resolve) => stream.write('', () => resolve(undefined)));
    },
    async close() {
      clearInterval(timer);
      summarise();
      if (stream && !stream.destroyed) await new Promise((resolve) => stream.end(resolve));
    },
  };
}
