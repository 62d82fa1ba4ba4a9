// The forwarding thread's side of checking: finished exchanges go to the checker's worker thread through a
// bounded queue, and their report lines come back. When the queue is full (MAX_WAITING_EXCHANGES exchanges or
// MAX_WAITING_BYTES of kept bodies waiting), an exchange is forwarded as always but neither checked nor
// captured, and the caller of `submit` is told so. A worker that dies (a check past CHECKER_HEAP_MB) is
// replaced; the exchanges it held are said lost on the console.
import { Worker } from 'node:worker_threads';
import { CHECKER_HEAP_MB, MAX_WAITING_BYTES, MAX_WAITING_EXCHANGES } from './limits.js';

const WORKER = new URL('./check-worker.js', import.meta.url);

/**
 * What a checker takes and gives back, for the tools that hand it exchanges (`@qzz/check`).
 * @typedef {import('./settle.js').FinishedExchange} FinishedExchange
 * @typedef {import('./settle.js').KeptBody} KeptBody
 * @typedef {import('./settle.js').ExchangeLine} ExchangeLine
 * @typedef {import('./settle.js').Seen} Seen
 */

/**
 * Starts a checker's worker thread. `ready` resolves once it has read the bundle (and opened the capture
 * folder), or rejects with why it could not; `onExit` hears of a worker that stops after it was ready, and why.
 * @param {{ spec: string, capture?: string }} workerData
 * @param {{ onMessage: (message: any) => void, onExit: (worker: Worker, reason: string) => void }} handlers
 */
function spawnChecker(workerData, { onMessage, onExit }) {
  const worker = new Worker(WORKER, { workerData, resourceLimits: { maxOldGenerationSizeMb: CHECKER_HEAP_MB } });
  worker.unref();
  /** @type {Promise<Worker>} */
  const ready = new Promise((resolve, reject) => {
    /** @type {Error & { code?: string } | undefined} */
    let failure;
    let started = false;
    worker.on('message', (message) => {
      if (message.type === 'ready') {
        started = true;
        resolve(worker);
      } else if (message.type === 'failed') reject(new Error(message.message));
      else onMessage(message);
    });
    worker.on('error', (error) => {
      failure = error;
      reject(error);
    });
    worker.on('exit', (code) => {
      reject(new Error(`the checker stopped before it was ready (exit code ${code})`));
      if (started) onExit(worker, failure?.code ?? `exit code ${code}`);
    });
  });
  return { worker, ready };
}

/**
 * @typedef {{ spec: string, capture?: string, log: (line: string) => void,
 *   onSettled: (lines: import('./settle.js').ExchangeLine[], seen?: import('./settle.js').Seen) => void }} CheckOptions
 *   `onSettled` hears each exchange's report lines, and what was seen of it (its action and the answer's envelope;
 *   absent when the checker failed on it).
 * @typedef {Awaited<ReturnType<typeof startChecks>>} Checks
 */

/** The bytes an exchange's kept bodies hold. @param {import('./settle.js').FinishedExchange} exchange */
const keptBytes = (exchange) => (exchange.request.bytes?.byteLength ?? 0) + (exchange.response.bytes?.byteLength ?? 0);

/**
 * Starts the checker; resolves once it is ready, or rejects with why it could not start.
 * @param {CheckOptions} options
 */
export async function startChecks({ spec, capture, log, onSettled }) {
  /** @type {Map<number, number>} exchange id → bytes it holds */
  const waiting = new Map();
  let waitingBytes = 0;
  let nextId = 0;
  let closing = false;
  /** @type {Map<number, () => void>} */
  const flushes = new Map();
  /** @type {(() => void)[]} */
  const idle = [];
  /** @type {(() => void)[]} callers of `room()` waiting for an exchange to be settled */
  const roomWaiters = [];
  const hasRoom = (bytes) => waiting.size < MAX_WAITING_EXCHANGES && waitingBytes + bytes <= MAX_WAITING_BYTES;

  const settled = (id) => {
    waitingBytes -= waiting.get(id) ?? 0;
    waiting.delete(id);
    for (const resolve of roomWaiters.splice(0)) resolve();
    if (waiting.size === 0) for (const resolve of idle.splice(0)) resolve();
  };
  const onMessage = (message) => {
    if (message.type === 'settled') {
      onSettled(message.lines, message.seen);
      for (const line of message.logs) log(line);
      settled(message.id);
    } else if (message.type === 'flushed') flushes.get(message.id)?.();
  };
  /** A worker that died mid-way (ERR_WORKER_OUT_OF_MEMORY past its heap): what it held is lost, a new one takes over. */
  const onExit = (worker, reason) => {
    if (closing || worker !== current) return;
    log(`the checker stopped (${reason}); ${waiting.size} exchanges were not checked or captured; a new checker takes over`);
    for (const id of [...waiting.keys()]) settled(id);
    for (const resolve of flushes.values()) resolve();
    const next = spawnChecker({ spec, capture }, { onMessage, onExit });
    current = next.worker;
    next.ready.catch((error) => {
      // Without a checker, exchanges are forwarded unchecked (as when the queue is full), and flushes end.
      log(`the checker cannot start again (${error.message}): exchanges are no longer checked or captured`);
      current = undefined;
      for (const resolve of flushes.values()) resolve();
    });
  };

  const first = spawnChecker({ spec, capture }, { onMessage, onExit });
  /** @type {Worker | undefined} the worker in charge; none once one could not be replaced */
  let current = first.worker;
  await first.ready;

  /**
   * Resolves once the queue has room for `exchange` (at once when it has, or when there is no checker left): a
   * reader of recorded exchanges (`check --har`) waits here instead of having exchanges refused.
   * @param {import('./settle.js').FinishedExchange} exchange
   * @returns {Promise<void>}
   */
  async function room(exchange) {
    const bytes = keptBytes(exchange);
    while (current && !hasRoom(bytes)) await new Promise((resolve) => roomWaiters.push(() => resolve(undefined)));
  }

  return {
    room,
    /**
     * Hands a finished exchange to the checker, the kept bodies' buffers moved, not copied; false when the
     * queue is full and the exchange goes unchecked.
     * @param {import('./settle.js').FinishedExchange} exchange
     */
    submit(exchange) {
      const bytes = keptBytes(exchange);
      if (!current || !hasRoom(bytes)) return false;
      const id = nextId++;
      waiting.set(id, bytes);
      waitingBytes += bytes;
      const transfer = [exchange.request.bytes?.buffer, exchange.response.bytes?.buffer].filter((b) => b !== undefined);
      current.postMessage({ type: 'exchange', id, exchange }, /** @type {ArrayBuffer[]} */ (transfer));
      return true;
    },
    /** Resolves once every exchange submitted so far is settled and its capture written. */
    async flush() {
      if (waiting.size) await new Promise((resolve) => idle.push(() => resolve(undefined)));
      const worker = current;
      if (!worker) return;
      const id = nextId++;
      await new Promise((resolve) => {
        flushes.set(id, () => resolve(undefined));
        worker.postMessage({ type: 'flush', id });
      });
      flushes.delete(id);
    },
    async close() {
      closing = true;
      await current?.terminate();
    },
  };
}
