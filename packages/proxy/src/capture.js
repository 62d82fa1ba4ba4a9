// Evidence records from traffic: every exchange on a route or action the spec lacks becomes (or joins) a
// record of the same shape as the reference's `endpoints/*.json`, with secrets removed and personal data
// masked before anything is kept. One record per route and selector; fields are united across exchanges.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open as openFile, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isObject, selectorKey } from '@qzz/spec/actions';
import { jsonType } from './check.js';
import { MAX_OPEN_RECORDS, MAX_RECORD_FIELDS, MAX_RECORD_NAMES } from './limits.js';
import { cleanKey, cleanPath, cleanText, cleanValue, skeletonOf } from './redact.js';

/** Headers a record names (never with values): those the caller chose, not the transport's own. */
const TRANSPORT_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
  'accept',
  'accept-encoding',
  'accept-language',
  'user-agent',
  'te',
  'upgrade',
  'proxy-connection',
  'expect',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-dest',
]);

/** The record's id: `captured-<route's last segment>-<selector values>-<hash>`, stable for one route and selector. */
function recordId(method, path, selector) {
  const hash = createHash('sha256')
    .update(`${method} ${path} ${selectorKey(selector)}`)
    .digest('hex')
    .slice(0, 8);
  const words = [path.split('/').filter(Boolean).at(-1) ?? 'root', ...Object.values(flatten(selector))].join('-');
  const slug = words
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
  return `captured-${slug ? `${slug}-` : ''}${hash}`;
}

function flatten(value, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(value ?? {})) {
    if (isObject(v)) flatten(v, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/** The fields of a value as dotted paths (array items merged, no indices), each with the JSON types seen. */
function fieldsOf(value, prefix = '', out = new Map()) {
  const add = (path, type) => {
    if (!out.has(path)) out.set(path, new Set());
    out.get(path).add(type);
  };
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isObject(item)) fieldsOf(item, prefix, out);
    }
    return out;
  }
  if (!isObject(value)) return out;
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(child)) {
      const itemTypes = [...new Set(child.filter((c) => !isObject(c)).map(jsonType))];
      add(path, itemTypes.length ? `array[${itemTypes.join('|')}]` : 'array');
      fieldsOf(child, path, out);
    } else {
      add(path, jsonType(child));
      if (isObject(child)) fieldsOf(child, path, out);
    }
  }
  return out;
}

/** The envelope's `data` when the answer is the vendor's envelope, else the whole answer. */
const answerData = (body) => (isObject(body) && 'success' in body && 'data' in body ? body.data : body);
const isEnvelope = (body) => isObject(body) && typeof body.success === 'boolean';

/**
 * The capture store: merges exchanges into records and writes each record to `<dir>/<id>.json` atomically.
 * The file is the record: only the MAX_OPEN_RECORDS most recently written stay in memory, any other is read
 * back when its route is seen again, so memory does not grow with the number of routes.
 * @param {string} dir
 */
export async function openCapture(dir) {
  const folder = resolve(dir);
  try {
    await mkdir(folder, { recursive: true });
    const probe = join(folder, `.qzz-proxy-write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
    await access(folder, constants.W_OK);
  } catch (error) {
    throw new Error(
      `Cannot write captures to ${folder}: ${error.code ?? error.message}. Pick a folder this user can write (--capture <dir>).`,
    );
  }
  await removeLeftovers(folder);
  /** The records written last, least recent first (a Map keeps insertion order). @type {Map<string, any>} */
  const open = new Map();
  const keepOpen = (id, record) => {
    open.delete(id);
    open.set(id, record);
    const oldest = open.keys().next().value;
    if (open.size > MAX_OPEN_RECORDS && oldest !== undefined) open.delete(oldest);
  };
  /** The write under way per record, so exchanges of one record are merged one after another. @type {Map<string, Promise<void>>} */
  const writes = new Map();

  async function load(id) {
    try {
      const record = JSON.parse(await readFile(join(folder, `${id}.json`), 'utf8'));
      if (record?.source_kind === 'captured' && Number.isInteger(record.exchanges)) return record;
    } catch {
      // No record yet (or an unreadable one, which this capture replaces).
    }
    return undefined;
  }

  /**
   * Adds one exchange. Values are cleaned before they are kept; field types are read from the wire values.
   * @param {{ method: string, path: string, selector: object, module?: string, query: URLSearchParams, headers: Record<string, any>, headerNames: string[],
   *   contentType?: string, body: unknown, status: number, answer: unknown, secrets: import('./redact.js').Secrets }} raw
   */
  async function add(raw) {
    // The path and selector values name the record and its file; query and header names and the content type
    // are kept as they came: each is cleaned like every other kept value (query values are dropped).
    const { secrets } = raw;
    const exchange = {
      ...raw,
      path: cleanPath(raw.path, secrets),
      selector: cleanValue(raw.selector, secrets),
      query: new URLSearchParams([...raw.query.keys()].map((name) => [cleanKey(name, secrets), ''])),
      headerNames: raw.headerNames.map((name) => cleanKey(name, secrets)),
      contentType: raw.contentType === undefined ? undefined : cleanKey(raw.contentType, secrets),
    };
    const id = recordId(exchange.method, exchange.path, exchange.selector);
    const previous = writes.get(id) ?? Promise.resolve();
    const next = previous.then(async () => {
      const record = open.get(id) ?? (await load(id)) ?? newRecord(id, exchange);
      merge(record, exchange);
      keepOpen(id, record);
      await writeRecord(join(folder, `${id}.json`), record);
    });
    const settled = next.catch(() => {});
    writes.set(id, settled);
    // Once this is the record's last write, nothing waits on it: the entry goes.
    settled.then(() => writes.get(id) === settled && writes.delete(id));
    await next;
    return join(folder, `${id}.json`);
  }

  return { dir: folder, add, flush: () => Promise.all(writes.values()).then(() => undefined) };
}

/** Whether process `pid` runs on this machine (another proxy capturing into the same folder). */
function running(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * Removes the temporary files a proxy that stopped mid-write (a crash, a SIGKILL) left in the folder; those of a
 * proxy still running stay, as it may be about to rename one.
 * @param {string} folder
 */
async function removeLeftovers(folder) {
  for (const name of await readdir(folder)) {
    const pid = Number(/^captured-[a-z0-9-]+\.json\.([0-9]+)\.tmp$/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !running(pid)) await rm(join(folder, name), { force: true });
  }
}

/**
 * Writes a record whole or not at all: to a temporary file beside it, then renamed over it. Whatever sits at the
 * temporary name (a crash's leftover, a link someone planted) is removed, never followed, and the file is
 * created anew; a write that fails (a full disk) takes its temporary file with it.
 * @param {string} file
 * @param {unknown} record
 */
async function writeRecord(file, record) {
  const temporary = `${file}.${process.pid}.tmp`;
  await rm(temporary, { force: true });
  try {
    const handle = await openFile(temporary, 'wx');
    try {
      await handle.writeFile(`${JSON.stringify(record, null, 1)}\n`);
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw error;
  }
}

function newRecord(id, exchange) {
  return {
    source_page: id,
    source_kind: 'captured',
    captured_by: '@qzz/proxy',
    title: null,
    module: exchange.module ?? null,
    group: null,
    status: null,
    method: exchange.method,
    path: exchange.path,
    select: exchange.selector,
    query: [],
    headers: [],
    body_content_type: exchange.contentType ?? null,
    body_fields: [],
    response_fields: [],
    response_envelope: false,
    request_example: null,
    response_example: null,
    response_statuses: {},
    exchanges: 0,
    excerpt_complete: true,
  };
}

/** Unites one exchange's names and fields into the record; keeps the first success answer as the example. */
function merge(record, exchange) {
  record.exchanges += 1;
  record.response_statuses[exchange.status] = (record.response_statuses[exchange.status] ?? 0) + 1;
  uniteNames(record, record.query, exchange.query.keys());
  uniteNames(
    record,
    record.headers,
    exchange.headerNames.filter((h) => !TRANSPORT_HEADERS.has(h.toLowerCase())),
  );
  record.body_content_type ??= exchange.contentType ?? null;
  // Field lists keep names and types: they are read from the bodies' skeletons (cleaned keys, no values).
  uniteFields(record, record.body_fields, fieldsOf(skeletonOf(exchange.body, exchange.secrets)), record.exchanges);
  const success = exchange.status >= 200 && exchange.status < 300 && !(isEnvelope(exchange.answer) && exchange.answer.success === false);
  if (success) {
    record.response_envelope ||= isEnvelope(exchange.answer);
    record.successful_exchanges = (record.successful_exchanges ?? 0) + 1;
    uniteFields(
      record,
      record.response_fields,
      fieldsOf(answerData(skeletonOf(exchange.answer, exchange.secrets))),
      record.successful_exchanges,
    );
  }
  if (record.request_example === null || (success && !record.example_is_success)) {
    record.request_example = exampleText(exchange.body, exchange.secrets);
    record.response_example = exampleText(exchange.answer, exchange.secrets);
    record.example_status = exchange.status;
    record.example_is_success = success;
  }
}

/** Adds the names (query parameters, headers) a record does not list yet, up to MAX_RECORD_NAMES. */
function uniteNames(record, list, incoming) {
  const known = new Set(list.map((p) => p.name.toLowerCase()));
  for (const name of incoming) {
    if (known.has(name.toLowerCase())) continue;
    if (list.length >= MAX_RECORD_NAMES) {
      record.excerpt_complete = false;
      return;
    }
    known.add(name.toLowerCase());
    list.push({ name, type: 'string', required: null, default: null, desc: null });
  }
}

/**
 * Merges the fields of one body into a record's list, in time linear in both: types united,
 * `seen_in_exchanges` counted. Past MAX_RECORD_FIELDS, new fields are left out and the record is marked
 * incomplete (`excerpt_complete: false`, which `spec:add` reads as a partial excerpt).
 */
function uniteFields(record, list, fields, total) {
  const byPath = new Map(list.map((f) => [f.path_from_example, f]));
  for (const [path, types] of fields) {
    let entry = byPath.get(path);
    if (!entry) {
      if (list.length >= MAX_RECORD_FIELDS) {
        record.excerpt_complete = false;
        continue;
      }
      entry = { name: path, type: null, required: null, default: null, desc: null, path_from_example: path, seen_in_exchanges: 0 };
      list.push(entry);
      byPath.set(path, entry);
    }
    const known = new Set(entry.type ? entry.type.split('|').filter((t) => !t.startsWith('array[')) : []);
    const arrays = entry.type?.split('|').filter((t) => t.startsWith('array[')) ?? [];
    for (const t of types) t.startsWith('array') ? arrays.push(t) : known.add(t);
    entry.type = [...known, ...new Set(arrays)].join('|');
    entry.seen_in_exchanges += 1;
  }
  for (const entry of list) entry.in_every_exchange = entry.seen_in_exchanges === total;
}

/** A body as the record keeps it: cleaned JSON text (or cleaned text when it is not JSON), null when absent. */
function exampleText(body, secrets) {
  if (body === undefined) return null;
  // Binary bodies are not kept: a record holds text a person can review.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what tell a binary body from text.
  if (typeof body === 'string') return /[\uFFFD\x00-\x08\x0e-\x1f]/.test(body) ? null : cleanText(body, secrets);
  // Leaves and keys were cleaned one by one; the text is scrubbed again for a secret split across escapes.
  return secrets.scrub(JSON.stringify(cleanValue(body, secrets), null, 1));
}
