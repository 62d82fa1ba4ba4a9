#!/usr/bin/env node
// `qzz-mock [--port N] [--host H] [--cors …] [--rate-limit N/s|min] [--faults F] [--sandbox [--state F] [--seed F]]`:
// serves the mock until Ctrl-C.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCors, parsePort, serveUntilSignal } from '@qzz/http';
import { parseRateLimit } from './faults/index.js';
import { DEFAULT_PORT, startMock } from './server.js';

const usage =
  'Usage: qzz-mock [--port <0-65535>] [--host <address>] [--cors <origin,…|*|off>] [--rate-limit <n>/<s|min>] [--faults <file.yaml|json>] [--quiet] [--sandbox [--state <file>] [--seed <file>]]';
let options;
let port;
let cors;
try {
  ({ values: options } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
      sandbox: { type: 'boolean' },
      state: { type: 'string' },
      seed: { type: 'string' },
      cors: { type: 'string' },
      'rate-limit': { type: 'string' },
      faults: { type: 'string' },
    },
  }));
  port = parsePort(options.port, DEFAULT_PORT);
  cors = parseCors(options.cors, '*');
  if (options['rate-limit'] !== undefined) parseRateLimit(options['rate-limit']);
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}
if ((options.state || options.seed) && !options.sandbox) {
  console.error(`--state and --seed are for the sandbox: add --sandbox.\n${usage}`);
  process.exit(2);
}

await serveUntilSignal(
  () =>
    startMock({
      port,
      host: options.host ?? '127.0.0.1',
      log: options.quiet ? undefined : (line) => console.log(line),
      sandbox: options.sandbox,
      state: options.state,
      seed: options.seed,
      cors,
      rateLimit: options['rate-limit'],
      // pnpm runs the root script in the repository root: a relative path is the caller's (INIT_CWD).
      faults: options.faults === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), options.faults),
    }),
  (url) => `qzz mock${options.sandbox ? ' (sandbox)' : ''} listening on ${url}`,
);
