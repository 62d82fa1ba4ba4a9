export {
  answerFailure,
  type CallOptions,
  createQzzClient,
  DEFAULT_BASE_URL,
  type QzzClient,
  type QzzClientOptions,
  type RouteCallOptions,
  SECRET_ROTATED,
} from './client.js';
export {
  type CredentialsProvider,
  type CredentialsSource,
  cachedCredentials,
  type QzzCredentials,
  staticCredentials,
} from './credentials.js';
export { answerSucceeded, type Envelope } from './envelope.js';
export {
  BASE_URL_VARIABLE,
  clientOptionsFromEnv,
  KINGDEE_VARIABLES,
  PRIVATE_VARIABLES,
  SECRET_VARIABLES,
  TENANT_VARIABLES,
  TOKEN_VARIABLES,
  variableValues,
} from './environment.js';
export { type CallOutcome, QzzBusinessError, QzzError, QzzGatewayError, QzzNetworkError, redactor } from './errors.js';
export type { GatewayApp } from './gateway.js';
export type { ActionTypes } from './generated/actions.js';
export type { components, operations, paths } from './generated/schema.js';
export { type KingdeeCredentialsOptions, kingdeeCredentials } from './kingdee.js';
export { type LogLevel, type QzzLogFields, type QzzLogger, type QzzLogMethod, safeCode } from './log.js';
export { type QzzAnswer, QzzPromise } from './promise.js';
export { appSignature, percentEncode, type SignedHeaders, signedHeaders, stringToSign } from './signing.js';
