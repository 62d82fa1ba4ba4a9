#!/usr/bin/env node
// `qzz-proxy --upstream <url> [--port N] [--report <file>] [--capture <dir>] [--cors …]`: proxies until Ctrl-C.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCors, parsePort, serveUntilSignal } from '@qzz/http';
import { DEFAULT_PORT, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, startProxy } from './proxy.js';

const usage =
  'Usage: qzz-proxy --upstream <http(s) URL> [--port <0-65535>] [--host <address>] [--report <file.jsonl>] [--capture <dir>] [--timeout <ms>] [--cors <origin,…|*>] [--quiet]';
let options;
try {
  ({ values: options } = parseArgs({
    options: {
      upstream: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      report: { type: 'string' },
      capture: { type: 'string' },
      timeout: { type: 'string' },
      cors: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }));
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}
const { upstream } = options;
if (!upstream) {
  console.error(`--upstream is required: the gateway to forward to, e.g. https://api.kingdee.com.\n${usage}`);
  process.exit(2);
}
let port;
let cors;
try {
  port = parsePort(options.port, DEFAULT_PORT);
  // Off unless asked: the proxy fronts a real gateway.
  cors = parseCors(options.cors, false);
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
const timeoutMs = Number(options.timeout ?? DEFAULT_TIMEOUT_MS);
if (!/^[0-9]+$/.test(options.timeout ?? String(DEFAULT_TIMEOUT_MS)) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
  console.error(`--timeout must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, not "${options.timeout}".\n${usage}`);
  process.exit(2);
}

await serveUntilSignal(
  () =>
    startProxy({
      upstream,
      port,
      host: options.host ?? '127.0.0.1',
      // pnpm runs the root script in the repository root: relative paths are the caller's (INIT_CWD).
      report: options.report === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), options.report),
      capture: options.capture === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), options.capture),
      timeoutMs,
      cors,
      log: options.quiet ? undefined : (line) => console.log(line),
    }),
  (url) => `qzz proxy listening on ${url} → ${new URL(upstream).origin}`,
);
