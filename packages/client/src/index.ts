export { createQzzClient, DEFAULT_BASE_URL, SECRET_ROTATED, type QzzClient, type QzzClientOptions, type CallOptions, type RouteCallOptions } from './client.js';
export { cachedCredentials, staticCredentials, type CredentialsProvider, type CredentialsSource, type QzzCredentials } from './credentials.js';
export { QzzError, QzzBusinessError, QzzGatewayError, QzzNetworkError } from './errors.js';
export { kingdeeCredentials, type KingdeeCredentialsOptions } from './kingdee.js';
export { appSignature, stringToSign, signedHeaders, percentEncode, type SignedHeaders } from './signing.js';
export type { GatewayApp } from './gateway.js';
export type { ActionTypes } from './generated/actions.js';
export type { paths, components, operations } from './generated/schema.js';
