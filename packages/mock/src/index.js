/** @typedef {import('./answer.js').MockAnswer} MockAnswer */
/** @typedef {import('./core.js').MockOptions} MockOptions */
/** @typedef {import('./fetch.js').MockFetch} MockFetch */
export { MAX_BODY_BYTES, parsePrefer } from './core.js';
export { createMockFetch } from './fetch.js';
export { BODY_TIMEOUT_MS, DEFAULT_PORT, startMock } from './server.js';
