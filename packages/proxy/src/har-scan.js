// Reading a HAR file as a stream: the bytes of `log.entries`' elements, one at a time, without parsing the whole
// file. The frame around them (the top object, `log`, the `entries` array) is tokenised byte by byte; each entry
// (and every other member's value) is cut out whole — strings and brackets tracked, nothing built — and handed
// over as its own bytes, which the caller parses with JSON.parse. Memory holds one entry at a time, up to
// MAX_HAR_ENTRY_BYTES: a bigger one, or one nested deeper than MAX_HAR_ENTRY_DEPTH, is scanned to its end and
// reported as such, and the file reads on. What breaks the file's structure (not JSON, not a HAR, brackets that do
// not match, a file cut off) ends the read with a HarError that says where, never what the file holds there.
import { MAX_HAR_ENTRY_BYTES, MAX_HAR_ENTRY_DEPTH } from './limits.js';

/** The file is not a HAR, or its structure is broken: the read cannot go on. */
export class HarError extends Error {
  name = 'HarError';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const BOM = [0xef, 0xbb, 0xbf];
/** A member name of the frame (`log`, `entries`, …) longer than this is no HAR's. */
const MAX_NAME_BYTES = 1024;

/** @param {number} byte */
const isSpace = (byte) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
/** @param {number} byte a byte that ends a bare value (number, true, false, null) */
const endsScalar = (byte) => isSpace(byte) || byte === COMMA || byte === CLOSE_ARRAY || byte === CLOSE_OBJECT;

/**
 * One JSON value cut out of the stream: its bytes (while within `limit`), how deep it nests, and where it ends.
 * Strings are skipped with indexOf (a cached position for the next quote and backslash, so a string of a million
 * backslashes is still one pass).
 */
class ValueCut {
  /** @param {number} limit @param {number} maxDepth */
  constructor(limit, maxDepth) {
    this.limit = limit;
    this.maxDepth = maxDepth;
    /** @type {Buffer[]} */
    this.parts = [];
    this.size = 0;
    this.tooLarge = false;
    this.tooDeep = false;
    this.depth = 0;
    /** The bracket open at each depth (up to maxDepth), to tell `[}` from `[]`. */
    this.open = new Uint8Array(maxDepth + 1);
    this.inString = false;
    this.escape = false;
    this.scalar = false;
    this.started = false;
  }

  /**
   * Scans `chunk` from `start`; returns where the value ends (the index after its last byte) or -1 when it goes
   * on past the chunk. Throws a HarError (with the byte's offset in the file) on brackets that do not match.
   * @param {Buffer} chunk
   * @param {number} start
   * @param {number} offset the file offset of chunk[0]
   */
  scan(chunk, start, offset) {
    const n = chunk.length;
    let i = start;
    let nextQuote = -1;
    let nextBackslash = -1;
    let end = -1;
    while (i < n) {
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          i++;
          continue;
        }
        if (nextQuote < i) nextQuote = indexOrEnd(chunk, QUOTE, i);
        if (nextBackslash < i) nextBackslash = indexOrEnd(chunk, BACKSLASH, i);
        if (nextBackslash < nextQuote) {
          this.escape = true;
          i = nextBackslash + 1;
          continue;
        }
        i = nextQuote + 1;
        if (nextQuote === n) break;
        this.inString = false;
        if (this.depth === 0) {
          end = i;
          break;
        }
        continue;
      }
      const byte = chunk[i];
      if (this.scalar) {
        if (endsScalar(byte)) {
          end = i;
          break;
        }
        i++;
        continue;
      }
      if (!this.started) {
        this.started = true;
        if (byte !== QUOTE && byte !== OPEN_OBJECT && byte !== OPEN_ARRAY) {
          this.scalar = true;
          continue;
        }
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        this.depth++;
        if (this.depth <= this.maxDepth) this.open[this.depth] = byte;
        else this.tooDeep = true;
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        if (this.depth === 0) throw new HarError(`a "${String.fromCharCode(byte)}" that closes nothing at byte ${offset + i}`);
        if (this.depth <= this.maxDepth && this.open[this.depth] !== byte - 2)
          throw new HarError(`a "${String.fromCharCode(byte)}" that does not match its opening bracket at byte ${offset + i}`);
        this.depth--;
        if (this.depth === 0) {
          end = i + 1;
          break;
        }
      }
      i++;
    }
    this.keep(chunk.subarray(start, end === -1 ? n : end));
    return end;
  }

  /** Keeps a part of the value's bytes while the value is within its limit. */
  keep(part) {
    this.size += part.length;
    if (this.tooLarge) return;
    if (this.size > this.limit) {
      this.tooLarge = true;
      this.parts = [];
      return;
    }
    this.parts.push(part);
  }

  /** The value's bytes (a scalar cut off by the end of the file is complete there). */
  bytes() {
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
  }
}

/** @param {Buffer} chunk @param {number} byte @param {number} from */
function indexOrEnd(chunk, byte, from) {
  const at = chunk.indexOf(byte, from);
  return at === -1 ? chunk.length : at;
}

/**
 * What one element of `log.entries` came out as: its bytes, or why it has none (bigger than the ceiling, nested
 * deeper than the limit; its size is said).
 * @typedef {{ index: number, bytes: Buffer } | { index: number, skip: 'too-large' | 'too-deep', size: number }} ScannedEntry
 */

/**
 * Where the frame's tokenizer stands. `object` and `array` frames wait for a member name (or an element), a
 * colon, a value, a comma or the end; `role` says which frame it is: the whole file, `log`, `entries`.
 * @typedef {{ kind: 'object' | 'array', role: 'top' | 'log' | 'entries', expect: 'name' | 'colon' | 'value' | 'comma',
 *   first: boolean, name?: string }} Frame
 */

/**
 * A push tokenizer of a HAR's frame: `feed(chunk)` returns the entries completed in that chunk, `end()` checks the
 * file ended where a HAR ends.
 */
class HarScanner {
  constructor() {
    /** @type {Frame[]} */
    this.frames = [];
    this.offset = 0;
    this.started = false;
    this.done = false;
    this.sawEntries = false;
    this.sawLog = false;
    this.entryIndex = 0;
    /** @type {Error | undefined} what broke the file, thrown once the entries before it are handed over */
    this.failure = undefined;
    /** The value being cut out, and what it is: an entry, a member name of the frame, or another member's value. @type {{ cut: ValueCut, what: 'entry' | 'name' | 'other' } | undefined} */
    this.cutting = undefined;
  }

  /**
   * @param {Buffer} chunk
   * @returns {ScannedEntry[]}
   */
  feed(chunk) {
    /** @type {ScannedEntry[]} */
    const out = [];
    try {
      this.scan(chunk, 0, out);
    } catch (error) {
      // The entries before the break are handed over; the error comes after them.
      this.failure = error;
    }
    this.offset += chunk.length;
    return out;
  }

  /**
   * @param {Buffer} chunk
   * @param {number} from
   * @param {ScannedEntry[]} out
   */
  scan(chunk, from, out) {
    let i = from;
    while (i < chunk.length) {
      if (this.cutting) {
        const end = this.cutting.cut.scan(chunk, i, this.offset);
        if (end === -1) break;
        i = end;
        this.finishCut(out, this.offset + end);
        continue;
      }
      const byte = chunk[i];
      // Spaces between tokens, and a UTF-8 byte order mark before the first (one chunk may end inside it).
      if (isSpace(byte) || (!this.started && this.offset + i < 3 && byte === BOM[this.offset + i])) {
        i++;
        continue;
      }
      this.step(byte, this.offset + i);
      i++;
      // A value starts at this byte: it is cut out from here (the byte was looked at, not consumed).
      if (this.cutting) i--;
    }
  }

  /** Checks the file ends where a HAR may end: throws a HarError otherwise. */
  end() {
    if (!this.started) throw new HarError('not a HAR file: it is empty');
    if (!this.done) {
      const where = this.frames.some((f) => f.role === 'entries')
        ? `inside log.entries, after ${this.entryIndex} entries`
        : 'before its end';
      throw new HarError(`the file is cut off at byte ${this.offset} (${where})`);
    }
    if (!this.sawEntries) throw new HarError('not a HAR file: it has no log.entries');
  }

  /**
   * One byte of the frame (not in a value being cut out).
   * @param {number} byte
   * @param {number} at its offset in the file
   */
  step(byte, at) {
    if (this.done) throw new HarError(`more after the HAR's end at byte ${at}`);
    if (!this.started) {
      this.started = true;
      if (byte !== OPEN_OBJECT) throw new HarError('not a HAR file: it is not a JSON object');
      this.frames.push({ kind: 'object', role: 'top', expect: 'name', first: true });
      return;
    }
    const frame = this.frames[this.frames.length - 1];
    const close = frame.kind === 'object' ? CLOSE_OBJECT : CLOSE_ARRAY;
    if (frame.expect === 'comma') {
      if (byte === COMMA) frame.expect = frame.kind === 'object' ? 'name' : 'value';
      else if (byte === close) this.closeFrame();
      else throw new HarError(`expected "," or "${String.fromCharCode(close)}" at byte ${at}`);
      return;
    }
    if (frame.expect === 'colon') {
      if (byte !== COLON) throw new HarError(`expected ":" at byte ${at}`);
      frame.expect = 'value';
      return;
    }
    if (byte === close && frame.first) return this.closeFrame();
    frame.first = false;
    if (frame.expect === 'name') {
      if (byte !== QUOTE) throw new HarError(`expected a member name at byte ${at}`);
      this.cutting = { cut: new ValueCut(MAX_NAME_BYTES, 0), what: 'name' };
      return;
    }
    this.startValue(frame, byte, at);
  }

  /** A value of the frame starts: `log` and `entries` are entered, an entry or any other value is cut out. */
  startValue(frame, byte, at) {
    if (byte === COMMA || byte === COLON || byte === CLOSE_ARRAY || byte === CLOSE_OBJECT)
      throw new HarError(`expected a value at byte ${at}`);
    frame.expect = 'comma';
    if (frame.role === 'entries') {
      this.cutting = { cut: new ValueCut(MAX_HAR_ENTRY_BYTES, MAX_HAR_ENTRY_DEPTH), what: 'entry' };
      return;
    }
    const enters = (frame.role === 'top' && frame.name === 'log') || (frame.role === 'log' && frame.name === 'entries');
    if (!enters) {
      this.cutting = { cut: new ValueCut(MAX_HAR_ENTRY_BYTES, MAX_HAR_ENTRY_DEPTH), what: 'other' };
      return;
    }
    const role = frame.role === 'top' ? 'log' : 'entries';
    const wanted = role === 'log' ? OPEN_OBJECT : OPEN_ARRAY;
    if (byte !== wanted)
      throw new HarError(`not a HAR file: ${role === 'log' ? 'log is not an object' : 'log.entries is not an array'} (byte ${at})`);
    if ((role === 'log' && this.sawLog) || (role === 'entries' && this.sawEntries))
      throw new HarError(`not a HAR file: ${role === 'log' ? 'log' : 'log.entries'} is there twice (byte ${at})`);
    if (role === 'log') this.sawLog = true;
    else this.sawEntries = true;
    this.frames.push({ kind: role === 'log' ? 'object' : 'array', role, expect: role === 'log' ? 'name' : 'value', first: true });
  }

  closeFrame() {
    this.frames.pop();
    if (this.frames.length === 0) this.done = true;
  }

  /** A value cut out to its end: a member name is read, an entry handed over, anything else checked and dropped. */
  finishCut(out, at) {
    const { cut, what } = /** @type {NonNullable<HarScanner['cutting']>} */ (this.cutting);
    this.cutting = undefined;
    const frame = this.frames[this.frames.length - 1];
    if (what === 'name') {
      if (cut.tooLarge) throw new HarError(`a member name of the HAR's frame is over ${MAX_NAME_BYTES} bytes (before byte ${at})`);
      try {
        frame.name = JSON.parse(cut.bytes().toString('utf8'));
      } catch {
        throw new HarError(`a member name that is not a JSON string (before byte ${at})`);
      }
      frame.expect = 'colon';
      return;
    }
    if (what === 'entry') {
      const index = this.entryIndex++;
      if (cut.tooLarge) out.push({ index, skip: 'too-large', size: cut.size });
      else if (cut.tooDeep) out.push({ index, skip: 'too-deep', size: cut.size });
      else out.push({ index, bytes: cut.bytes() });
    }
    // Other members of the frame (`creator`, `pages`, `_custom`): checked, not kept (one past the ceiling only scanned).
    if (what === 'other' && !cut.tooLarge) {
      try {
        JSON.parse(cut.bytes().toString('utf8'));
      } catch {
        throw new HarError(`a member of the HAR's frame that is not JSON (before byte ${at})`);
      }
    }
  }
}

/**
 * The entries of a HAR read from a stream of bytes, one at a time, in the file's order.
 * @param {AsyncIterable<Buffer | Uint8Array | string>} chunks
 * @returns {AsyncGenerator<ScannedEntry>}
 */
export async function* scanHar(chunks) {
  const scanner = new HarScanner();
  for await (const chunk of chunks) {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    yield* scanner.feed(bytes);
    if (scanner.failure) throw scanner.failure;
  }
  scanner.end();
}
