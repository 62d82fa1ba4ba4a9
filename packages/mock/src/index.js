export { startMock, parsePrefer, DEFAULT_PORT, MAX_BODY_BYTES, BODY_TIMEOUT_MS } from './server.js';
