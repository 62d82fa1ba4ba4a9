export { inputSchemaOf, withoutSelected } from './schema.js';
export { createQzzMcpServer, DEFAULT_MAX_ANSWER_CHARS, instructionsFor, trimmed } from './server.js';
export { offeredTools, toolName, toolsOf } from './tools.js';
