export { MAX_BODY_BYTES, parsePrefer } from './core.js';
export { createMockFetch } from './fetch.js';
export { BODY_TIMEOUT_MS, DEFAULT_PORT, startMock } from './server.js';
