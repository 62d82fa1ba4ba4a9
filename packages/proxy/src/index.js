export { DEFAULT_PORT, DEFAULT_TIMEOUT_MS, MAX_VALIDATED_BYTES, parseUpstream, startProxy } from './proxy.js';
