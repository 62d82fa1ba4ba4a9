export { BODY_TIMEOUT_MS, DEFAULT_PORT, MAX_BODY_BYTES, parsePrefer, startMock } from './server.js';
