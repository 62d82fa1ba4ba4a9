// The checker's thread: settles finished exchanges one after another (check, capture), so the thread that
// forwards never does per-field work. Started by checks.js with the bundle's path and the capture folder.
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { openCapture } from './capture.js';
import { createChecker } from './check.js';
import { settle } from './settle.js';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { spec, capture } = /** @type {{ spec: string, capture?: string }} */ (workerData);

/** @type {import('./settle.js').Settler} */
let settler;
try {
  settler = {
    checker: createChecker(JSON.parse(await readFile(spec, 'utf8'))),
    store: capture === undefined ? undefined : await openCapture(capture),
  };
} catch (error) {
  port.postMessage({ type: 'failed', message: error.message });
  process.exit(1);
}
port.postMessage({ type: 'ready' });

// One exchange at a time, in the order they finished: a capture record merges its exchanges in that order.
let queue = Promise.resolve();
port.on('message', (message) => {
  queue = queue.then(async () => {
    if (message.type === 'flush') {
      await settler.store?.flush();
      port.postMessage({ type: 'flushed', id: message.id });
      return;
    }
    try {
      const { lines, logs, seen } = await settle(settler, message.exchange);
      port.postMessage({ type: 'settled', id: message.id, lines, logs, seen });
    } catch (error) {
      // The route is not named: its path may carry a secret, and reading the exchange's secrets may be what failed.
      port.postMessage({
        type: 'settled',
        id: message.id,
        lines: [],
        logs: [`internal error while checking a ${message.exchange.method} exchange: ${error.stack}`],
      });
    }
  });
});
