export { MAX_BODY_BYTES, parsePrefer } from './core.js';
export { BODY_TIMEOUT_MS, DEFAULT_PORT, startMock } from './server.js';
