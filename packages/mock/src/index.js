export { startMock, parsePrefer, DEFAULT_PORT } from './server.js';
