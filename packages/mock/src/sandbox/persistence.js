// `--state <file>`: the sandbox's bills on disk. Every change is written before its answer is sent: the whole
// state goes to a temporary file beside the target, is fsynced, then renamed over the target (and the folder
// fsynced), so a crash at any moment leaves either the previous file or the new one, never half of one.
// Changes that arrive while a write is under way share the next write (one fsync for many answers).
import { constants } from 'node:fs';
import { access, open, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isObject } from '@qzz/spec/actions';

/** What a state file written by this sandbox says it is. */
const STATE_FORMAT = 'qzz-mock-sandbox-state';
const STATE_VERSION = 1;

const isBill = (b) => isObject(b) && typeof b.id === 'string' && typeof b.billno === 'string' && (b.data === null || isObject(b.data));

/**
 * Reads a state file. A missing file is an empty state (the sandbox creates it on its first change); a file
 * that cannot be read, is not JSON or is not a state file of this sandbox throws, and is left as it is.
 * @returns {Promise<Array<{ groupName: string, accountid: string, bills: any[] }> | undefined>}
 */
export async function loadState(path) {
  try {
    await access(dirname(path), constants.W_OK);
  } catch (error) {
    throw new Error(
      `The sandbox cannot write its state file ${path}: its folder ${error.code === 'ENOENT' ? 'does not exist' : 'is not writable'}.`,
    );
  }
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(
      `Cannot read the sandbox state file ${path}: ${error.message}. The mock will not start, and the file is left as it is.`,
    );
  }
  const refuse = (why) =>
    new Error(
      `${path} is not a sandbox state file of @qzz/mock (${why}). The mock will not start, and the file is left as it is: pass another --state file.`,
    );
  let state;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw refuse(`not JSON: ${error.message}`);
  }
  if (!isObject(state) || state.format !== STATE_FORMAT) throw refuse(`it does not say "format": "${STATE_FORMAT}"`);
  if (state.version !== STATE_VERSION)
    throw refuse(`version ${JSON.stringify(state.version)}, this sandbox reads version ${STATE_VERSION}`);
  const sets = state.accountSets;
  const valid =
    Array.isArray(sets) &&
    sets.every(
      (s) =>
        isObject(s) &&
        typeof s.groupName === 'string' &&
        typeof s.accountid === 'string' &&
        Array.isArray(s.bills) &&
        s.bills.every(isBill),
    );
  if (!valid) throw refuse('its accountSets are not a list of account sets with bills');
  return sets;
}

/**
 * Writes snapshots to `path`, one at a time. `commit()` resolves once a snapshot taken after the call is on disk.
 * @param {string} path
 * @param {() => unknown} snapshot the state to write, taken when the write starts
 */
export function stateWriter(path, snapshot) {
  const temporary = join(dirname(path), `.${basename(path)}.tmp`);
  /** @type {Promise<void> | undefined} */
  let queued;
  /** @type {Promise<unknown>} */
  let tail = Promise.resolve();

  async function write() {
    const text = JSON.stringify({ format: STATE_FORMAT, version: STATE_VERSION, accountSets: snapshot() });
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
    // The rename itself is durable only once the folder is synced.
    const folder = await open(dirname(path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }

  return {
    commit() {
      if (!queued) {
        queued = tail.then(() => {
          // From here on, a change waits for the next write: this one may have taken its snapshot already.
          queued = undefined;
          return write();
        });
        tail = queued.catch(() => {});
      }
      return queued;
    },
    /** Resolves once every write asked for so far is done. */
    settled: () => tail,
  };
}
