// `--state <file>`: the sandbox's saved bills on disk, as a log: a header line, then one line of JSON per save or
// reset (records.js). A change is appended and the file's data synced (fdatasync) before its answer is sent, so a
// save writes the bytes of its own record, whatever the size of the state. Changes that arrive while a write is
// under way share the next write (one sync for many answers). A crash at any moment leaves every answered change
// in the file; what a crash cuts off is the end of an unanswered write, dropped at the next start. A write that
// fails is taken back before it is answered: its changes out of the store (with the changes queued behind it,
// made on top of them), and out of the file, by cutting what it left, or by a rewrite when the file was removed or
// a rewrite had copied them into it.
//
// Resets leave dead records behind. Once they outweigh the live ones (and pass COMPACT_AFTER_BYTES), the file is
// compacted: the held records are written to a temporary file beside it while changes go on being appended to the
// file, then what was appended meanwhile is added, the temporary file synced and renamed over the file, and the
// folder synced. The same rewrite, done at once, replaces a version-1 file (the whole state as one JSON document,
// as @qzz/mock 0.2 wrote it), a file whose end was cut off, and a file removed or replaced under the sandbox.
import { constants } from 'node:fs';
import { access, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isObject } from '@qzz/spec/actions';
import { isBill, keyOf, readRecord, saveRecord } from './records.js';

/** @typedef {import('node:fs/promises').FileHandle} FileHandle */
/** @typedef {import('./records.js').StateRecord} StateRecord */
/** @typedef {{ handle: FileHandle, size: number }} Written a temporary file written and synced, still open */
/**
 * One write's changes: their records, how to take each back out of the store, the bytes they make dead, whether a
 * rewrite copied the file from the store while they were in it (so the file may hold them before their write
 * does), and the failure that refused them unwritten (see #takeBack).
 * @typedef {{ lines: Buffer[], undo: Array<() => void>, dead: number, rewritten: boolean, refused?: Error, done: Promise<void> }} Batch
 */
/**
 * A compaction under way: the records appended since it began, the dead bytes among them, whether it was
 * abandoned, and the temporary file it wrote (undefined when that failed).
 * @typedef {{ since: Buffer[], dead: number, abandoned: boolean, written: Promise<Written | undefined> }} Compaction
 */
/**
 * What the log needs of the store: `load` applies a record read from the file and returns the bytes of earlier
 * records it leaves dead; `records` lists the records of every bill held (what a rewrite writes).
 * @typedef {{ load: (record: StateRecord) => number, records: () => Buffer[] }} Store
 */

/** What a state file written by this sandbox says it is. */
const STATE_FORMAT = 'qzz-mock-sandbox-state';
const STATE_VERSION = 2;
/** The first line of a state file of this version. */
const HEADER = Buffer.from(`${JSON.stringify({ format: STATE_FORMAT, version: STATE_VERSION })}\n`);
/** Dead records a compaction waits for, however few the live ones. */
const COMPACT_AFTER_BYTES = 2 ** 20;
/** How much of the file a read or a rewrite handles at once. */
const CHUNK_BYTES = 2 ** 20;
const NEWLINE = 0x0a;

const notOurs = (path, why) =>
  new Error(
    `${path} is not a sandbox state file of @qzz/mock (${why}). The mock will not start, and the file is left as it is: pass another --state file.`,
  );
const unreadable = (path, error) =>
  new Error(`Cannot read the sandbox state file ${path}: ${error.message}. The mock will not start, and the file is left as it is.`);

/** The state file's folder must exist and be writable: said at start rather than at the first save. */
async function checkFolder(path) {
  try {
    await access(dirname(path), constants.W_OK);
  } catch (error) {
    throw new Error(
      `The sandbox cannot write its state file ${path}: its folder ${error.code === 'ENOENT' ? 'does not exist' : 'is not writable'}.`,
    );
  }
}

/** `buffers` joined in memory of their own (see ownBytes in records.js: a held record must cost its own size). @param {Buffer[]} buffers */
function ownCopy(buffers) {
  const bytes = Buffer.allocUnsafeSlow(buffers.reduce((sum, b) => sum + b.length, 0));
  let at = 0;
  for (const b of buffers) at += b.copy(bytes, at);
  return bytes;
}

/**
 * The file's lines from `position`, each with its newline; the last one `whole: false` when the file does not end
 * with a newline.
 * @param {FileHandle} file
 * @returns {AsyncGenerator<{ line: Buffer, whole: boolean }>}
 */
async function* linesOf(file, position) {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  /** @type {Buffer[]} the start of a line that goes on in the next chunk */
  let started = [];
  for (;;) {
    const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const read = chunk.subarray(0, bytesRead);
    let start = 0;
    for (let end = read.indexOf(NEWLINE); end !== -1; end = read.indexOf(NEWLINE, start)) {
      yield { line: ownCopy([...started, read.subarray(start, end + 1)]), whole: true };
      started = [];
      start = end + 1;
    }
    if (start < read.length) started.push(Buffer.from(read.subarray(start)));
  }
  if (started.length) yield { line: ownCopy(started), whole: false };
}

/**
 * The records of a file of this version, after its header. Stops at a line cut off by a crash.
 * @returns {Promise<{ whole: boolean, bytes: number }>} whether every line ended whole; the bytes up to the last that did
 */
async function readRecords(path, file, onRecord) {
  let bytes = HEADER.length;
  let number = 1;
  for await (const { line, whole } of linesOf(file, HEADER.length)) {
    if (!whole) return { whole: false, bytes };
    number += 1;
    let record;
    try {
      record = readRecord(line);
    } catch (error) {
      throw notOurs(path, `line ${number} is not JSON: ${error.message}`);
    }
    if (!record) throw notOurs(path, `line ${number} is neither a save nor a reset of an account set`);
    onRecord(record);
    bytes += line.length;
  }
  return { whole: true, bytes };
}

/** The records of a version-1 file (read whole, as @qzz/mock 0.2 did): every bill of every account set, as saves. */
function readVersion1(path, text, onRecord) {
  let state;
  try {
    state = JSON.parse(text);
  } catch (error) {
    // A log of a later version starts with a header line of its own.
    const header = (() => {
      try {
        return JSON.parse(text.slice(0, text.indexOf('\n')));
      } catch {
        return undefined;
      }
    })();
    if (isObject(header) && header.format === STATE_FORMAT)
      throw notOurs(path, `version ${JSON.stringify(header.version)}, this sandbox reads versions 1 and ${STATE_VERSION}`);
    throw notOurs(path, `not JSON: ${error.message}`);
  }
  if (!isObject(state) || state.format !== STATE_FORMAT) throw notOurs(path, `it does not say "format": "${STATE_FORMAT}"`);
  if (state.version !== 1)
    throw notOurs(path, `version ${JSON.stringify(state.version)}, this sandbox reads versions 1 and ${STATE_VERSION}`);
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
  if (!valid) throw notOurs(path, 'its accountSets are not a list of account sets with bills');
  for (const { groupName, accountid, bills } of sets) {
    const name = { groupName, accountid };
    for (const bill of bills) onRecord({ save: name, bill, line: saveRecord(name, bill) });
  }
}

/**
 * Reads a state file of either version, handing each record to `onRecord` in order.
 * @param {string} path
 * @param {(record: StateRecord) => void} onRecord
 * @returns {Promise<{ exists: boolean, current: boolean, bytes: number }>} `current`: a file of this version that
 *   ends whole, which changes can be appended to as it is; `bytes`: its length up to its last whole record
 */
async function readState(path, onRecord) {
  let file;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if (error.code === 'ENOENT') return { exists: false, current: false, bytes: 0 };
    throw unreadable(path, error);
  }
  try {
    const head = Buffer.alloc(HEADER.length);
    let bytesRead;
    try {
      ({ bytesRead } = await file.read(head, 0, head.length, 0));
    } catch (error) {
      throw unreadable(path, error);
    }
    if (bytesRead === HEADER.length && head.equals(HEADER)) {
      const { whole, bytes } = await readRecords(path, file, onRecord);
      return { exists: true, current: whole, bytes };
    }
    readVersion1(path, await file.readFile('utf8'), onRecord);
    return { exists: true, current: false, bytes: 0 };
  } finally {
    await file.close();
  }
}

/**
 * What a state file holds, as account sets and their saved bills; undefined when there is no file. For readers
 * other than the sandbox, which streams the records into its store.
 * @param {string} path
 * @returns {Promise<Array<{ groupName: string, accountid: string, bills: any[] }> | undefined>}
 */
export async function loadState(path) {
  /** @type {Map<string, { groupName: string, accountid: string, bills: Map<string, import('./records.js').Bill> }>} */
  const sets = new Map();
  const { exists } = await readState(path, (record) => {
    if ('reset' in record) return sets.delete(keyOf(record.reset));
    const key = keyOf(record.save);
    if (!sets.has(key)) sets.set(key, { ...record.save, bills: new Map() });
    sets.get(key)?.bills.set(record.bill.id, record.bill);
  });
  return exists ? [...sets.values()].map((set) => ({ ...set, bills: [...set.bills.values()] })) : undefined;
}

/** Writes all of `bytes` at `position` (a write may take fewer bytes than it is given). */
async function writeAll(/** @type {FileHandle} */ file, /** @type {Buffer} */ bytes, position) {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten === 0) throw new Error('the disk took no more bytes');
    done += bytesWritten;
  }
}

/** `buffers` joined into chunks of about CHUNK_BYTES. @param {Buffer[]} buffers */
function* chunksOf(buffers) {
  let chunk = [];
  let size = 0;
  for (const buffer of buffers) {
    chunk.push(buffer);
    size += buffer.length;
    if (size >= CHUNK_BYTES) {
      yield Buffer.concat(chunk);
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length) yield Buffer.concat(chunk);
}

/** Syncs a folder, so that a rename in it outlives a power cut. */
async function syncFolder(folder) {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes the header and `lines` to `temporary` and syncs it: the open file and its size, or a throw (and nothing
 * left behind). `stop` abandons it between chunks.
 * @param {string} temporary
 * @param {Buffer[]} lines
 * @returns {Promise<Written>}
 */
async function writeTemporary(temporary, lines, stop = () => false) {
  // A file left there by a crash, or a symlink someone planted, is removed (never followed); and the new file is
  // created only if nothing took its place since (O_EXCL), never through a symlink (O_NOFOLLOW).
  await rm(temporary, { force: true });
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW);
  try {
    let position = 0;
    for (const chunk of chunksOf([HEADER, ...lines])) {
      if (stop()) throw new Error('the compaction was abandoned');
      await writeAll(handle, chunk, position);
      await handle.datasync();
      position += chunk.length;
    }
    await handle.sync();
    return { handle, size: position };
  } catch (error) {
    await discard(temporary, handle);
    throw error;
  }
}

/** Closes and removes a temporary file that will not become the state file. */
async function discard(temporary, /** @type {FileHandle} */ handle) {
  await handle.close().catch(() => {});
  await rm(temporary, { force: true }).catch(() => {});
}

/**
 * The state file, open for appending changes: every change is on disk before `save()` or `reset()` resolves.
 * Also compacts it in the background, and repairs it after a write that failed.
 */
export class StateLog {
  /**
   * Opens the state file: reads it into the store, rewrites it when changes cannot be appended to it as it is (no
   * file yet, version 1, an end cut off, a symlink, dead records that outweigh the live), and returns the log
   * that writes every later change.
   * @param {string} path
   * @param {Store} store
   */
  static async open(path, store) {
    await checkFolder(path);
    let dead = 0;
    const read = await readState(path, (record) => {
      dead += store.load(record) + ('reset' in record ? record.line.length : 0);
    });
    const log = new StateLog(path, store);
    try {
      // What a compaction cut short by a crash left.
      await rm(log.#temporary, { force: true });
      if (read.current && dead < Math.max(COMPACT_AFTER_BYTES, read.bytes - dead)) await log.#openAsItIs(read.bytes, dead);
      else await log.#rewrite();
    } catch (error) {
      if (error.code !== 'ELOOP') throw new Error(`The sandbox cannot write its state file ${path}: ${error.message}`);
      // The state file is a symlink: replaced by a file of its own, as every rewrite does.
      await log.#rewrite();
    }
    return log;
  }

  #path;
  #temporary;
  #store;
  /** @type {FileHandle | undefined} the file, open for writing */
  #file;
  /** The file's length in whole records, where the next write goes. */
  #size = 0;
  /** The bytes of records in the file that no bill held needs (reset, or saved again). */
  #dead = 0;
  /** Dead bytes that start the next compaction: pushed further after one fails. */
  #compactAt = COMPACT_AFTER_BYTES;
  /** Set by a write that failed: `truncate` cuts what it may have left, `rewrite` writes the file anew. @type {'truncate' | 'rewrite' | undefined} */
  #repair;
  /** @type {Compaction | undefined} */
  #compaction;
  /** The writes in order: each waits for the one before. @type {Promise<unknown>} */
  #tail = Promise.resolve();
  /** @type {Batch | undefined} the write the next change joins */
  #next;
  /** Set by close(): no compaction starts after it. */
  #closing = false;

  /** @param {string} path @param {Store} store */
  constructor(path, store) {
    this.#path = path;
    this.#temporary = join(dirname(path), `.${basename(path)}.tmp`);
    this.#store = store;
  }

  /** Opens the file as it is, to append after its `size` bytes of whole records, `dead` of them dead. */
  async #openAsItIs(size, dead) {
    this.#file = await open(this.#path, constants.O_WRONLY | constants.O_NOFOLLOW);
    this.#size = size;
    this.#dead = dead;
  }

  /**
   * Appends a save's record; resolves once it is on disk. When it cannot be written, `undo` (taking the save back
   * out of the store) has run before it rejects.
   * @param {Buffer} line @param {() => void} undo
   */
  save(line, undo) {
    return this.#queue(line, 0, undo);
  }

  /**
   * Appends a reset's record, as save() does; `freed`: the bytes of the account set's records it makes dead.
   * @param {Buffer} line @param {number} freed @param {() => void} undo
   */
  reset(line, freed, undo) {
    return this.#queue(line, freed + line.length, undo);
  }

  /** Resolves once every change is on disk, a compaction under way abandoned, and the file closed. */
  async close() {
    this.#closing = true;
    await this.#abandonCompaction();
    await this.#tail;
    await this.#file?.close();
    this.#file = undefined;
  }

  /** Writes the held state anew, at once (a compaction under way is abandoned). */
  async #rewrite() {
    await this.#abandonCompaction();
    const records = this.#store.records();
    // They hold the changes waiting for the next write: if that write fails, the file must lose them again.
    if (this.#next) this.#next.rewritten = true;
    await this.#install(await writeTemporary(this.#temporary, records));
    this.#dead = 0;
  }

  async #abandonCompaction() {
    if (!this.#compaction) return;
    this.#compaction.abandoned = true;
    await this.#compaction.written;
  }

  /** Queues a record; resolves once it is on disk. `deadBytes`: what it makes dead, itself included. */
  #queue(/** @type {Buffer} */ line, deadBytes, /** @type {() => void} */ undo) {
    if (!this.#next) {
      /** @type {Batch} */
      const batch = { lines: [], undo: [], dead: 0, rewritten: false, done: Promise.resolve() };
      batch.done = this.#tail.then(() => {
        // Refused with the write before it, which failed (see #takeBack): already out of the store.
        if (batch.refused) throw batch.refused;
        // From here on, a change waits for the next write.
        if (this.#next === batch) this.#next = undefined;
        return this.#write(batch);
      });
      this.#tail = batch.done.catch(() => {});
      this.#next = batch;
    }
    this.#next.lines.push(line);
    this.#next.undo.push(undo);
    this.#next.dead += deadBytes;
    return this.#next.done;
  }

  /**
   * Appends one write's records and syncs them. When that fails, its changes are taken back and the file repaired
   * before the failure is answered, so that a stop right after it finds none of them; a repair that fails too is
   * tried again before the next write.
   * @param {Batch} batch
   */
  async #write(batch) {
    try {
      // A rewrite writes what is held, which holds this write's changes.
      if (await this.#repairFile()) return;
      if (!this.#file) throw new Error('the state file is not open');
      const bytes = Buffer.concat(batch.lines);
      await writeAll(this.#file, bytes, this.#size);
      await this.#file.datasync();
      if ((await this.#file.stat()).nlink === 0) throw new Error(`${this.#path} was removed or replaced while the sandbox ran`);
      this.#size += bytes.length;
      this.#dead += batch.dead;
      this.#compaction?.since.push(bytes);
      if (this.#compaction) this.#compaction.dead += batch.dead;
    } catch (error) {
      const takenBack = this.#takeBack(batch, error);
      // A rewrite may have copied changes just taken back into the file: cutting its end would keep them there.
      if (takenBack.some((b) => b.rewritten)) this.#repair = 'rewrite';
      else this.#repair ??= 'truncate';
      // The compaction's copy may hold them too.
      if (this.#compaction) this.#compaction.abandoned = true;
      await this.#repairFile().catch(() => {});
      throw error;
    }
    this.#compactIfDue();
  }

  /**
   * Takes a failed write's changes back out of the store, with those waiting for the next write, which are refused
   * unwritten: they were made on top of the failed ones (a save into an account set a failed reset emptied, a reset
   * of one holding a failed save), so only undoing all of them, latest first, leaves the store exactly as it was
   * before them. Done here, before anything awaits, so that no rewrite reads the store in between.
   * @returns {Batch[]} the batches taken back
   */
  #takeBack(/** @type {Batch} */ failed, /** @type {Error} */ error) {
    const waiting = this.#next;
    this.#next = undefined;
    if (waiting) waiting.refused = error;
    const takenBack = waiting ? [waiting, failed] : [failed];
    for (const batch of takenBack) for (const undo of [...batch.undo].reverse()) undo();
    return takenBack;
  }

  /** After a failed write: cuts what it may have left, or writes the file anew. True when it rewrote. */
  async #repairFile() {
    if (!this.#repair) return false;
    if (this.#repair === 'truncate' && this.#file && (await this.#file.stat()).nlink > 0) {
      await this.#file.truncate(this.#size);
      await this.#file.datasync();
      this.#repair = undefined;
      return false;
    }
    this.#repair = 'rewrite';
    await this.#rewrite();
    this.#repair = undefined;
    return true;
  }

  /** Makes the synced temporary file the state file, with `since` appended to it first. @param {Written} written @param {Buffer[]} since */
  async #install(written, since = []) {
    const appended = Buffer.concat(since);
    try {
      await writeAll(written.handle, appended, written.size);
      if (appended.length) await written.handle.sync();
      await rename(this.#temporary, this.#path);
    } catch (error) {
      await discard(this.#temporary, written.handle);
      throw error;
    }
    const previous = this.#file;
    this.#file = written.handle;
    this.#size = written.size + appended.length;
    await previous?.close().catch(() => {});
    try {
      await syncFolder(dirname(this.#path));
    } catch (error) {
      // Until the folder is synced the rename may not outlive a power cut, and later records with it.
      this.#repair = 'rewrite';
      throw error;
    }
  }

  /** Starts a compaction when the dead records outweigh the live ones: the held records go to the temporary file meanwhile. */
  #compactIfDue() {
    const dead = this.#dead;
    if (this.#closing || this.#compaction || this.#repair || dead < Math.max(this.#compactAt, this.#size - dead)) return;
    /** @type {Compaction} */
    const started = { since: [], dead: 0, abandoned: false, written: Promise.resolve(undefined) };
    this.#compaction = started;
    started.written = writeTemporary(this.#temporary, this.#store.records(), () => started.abandoned).catch(() => undefined);
    started.written.then((written) => {
      if (!written) this.#settle(started, false);
      // In the queue of writes, so that no write is under way while the file is swapped.
      else this.#tail = this.#tail.then(() => this.#finishCompaction(started, written));
    });
  }

  /** Puts the compacted file in place of the file, with what was appended meanwhile (or drops it, if abandoned). */
  async #finishCompaction(/** @type {Compaction} */ started, /** @type {Written} */ written) {
    try {
      if (started.abandoned) await discard(this.#temporary, written.handle);
      else {
        await this.#install(written, started.since);
        this.#dead = started.dead;
      }
      this.#settle(started, !started.abandoned);
    } catch {
      this.#settle(started, false);
    }
  }

  /** A compaction is over: the next one waits for as many dead bytes again when this one failed. */
  #settle(/** @type {Compaction} */ ended, done) {
    if (this.#compaction === ended) this.#compaction = undefined;
    this.#compactAt = done ? COMPACT_AFTER_BYTES : this.#dead + Math.max(COMPACT_AFTER_BYTES, this.#size - this.#dead);
  }
}
