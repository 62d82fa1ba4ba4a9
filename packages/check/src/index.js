export { KINGDEE_VARIABLES, TOKEN_VARIABLES } from '@qzz/client';
export { check, DEFAULT_MAX_WAIT_MS, DEFAULT_RATE, MAX_RATE, MAX_RATE_LIMITED, retryAfterMs } from './check.js';
export { junitXml } from './junit.js';
