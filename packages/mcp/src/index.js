export { inputSchemaOf, withoutSelected } from './schema.js';
export { createQzzMcpServer, DEFAULT_MAX_ANSWER_CHARS, instructionsFor, trimmed } from './server.js';
export { effectOf, offeredTools, toolName, toolsOf } from './tools.js';
