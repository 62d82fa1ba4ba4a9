// The MCP server: lists the tools its permissions allow and runs each call through @qzz/client. What goes back
// to the assistant — an answer or an error — is cleaned of every secret the server knows, in every form, and
// trimmed to a stated size.
import { readFileSync } from 'node:fs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { QzzError, redactor } from '@qzz/client';
import { offeredTools, toolsOf } from './tools.js';

/** The longest answer handed back, in characters; more is cut, with a note saying how much. */
export const DEFAULT_MAX_ANSWER_CHARS = 20_000;

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/**
 * @typedef {{ allowPush?: boolean, allowWrite?: boolean }} Permissions
 * @typedef {Permissions & { doc: any, client: import('@qzz/client').QzzClient, maxAnswerChars?: number,
 *   secrets?: () => readonly string[] }} ServerOptions
 *   `secrets` lists what no answer or error may carry (the credentials' secret values, the tokens sent).
 */

/** What the server tells the assistant about itself: which kinds of action are on, and the answers' size. */
export function instructionsFor(
  /** @type {Permissions} */ { allowPush = false, allowWrite = false },
  /** @type {number} */ maxAnswerChars,
) {
  const kinds = [
    { on: true, name: 'queries and reads', flag: '' },
    { on: allowPush, name: 'pushes (they answer an unsaved draft)', flag: '--allow-push' },
    { on: allowWrite, name: 'saves and audits (they write to the tenant: confirm with the user first)', flag: '--allow-write' },
  ];
  const off = kinds.filter((kind) => !kind.on);
  return [
    "轻智造-通用 API (云蝶轻智造, app mxoc) through Kingdee's gateway: one tool per vendor action.",
    `On: ${kinds
      .filter((kind) => kind.on)
      .map((kind) => kind.name)
      .join('; ')}.`,
    ...(off.length
      ? [
          `Off: ${off.map((kind) => `${kind.name.replace(/ \(.*\)$/, '')} (the server is started with ${kind.flag} to offer them)`).join('; ')}.`,
        ]
      : []),
    `Answers longer than ${maxAnswerChars} characters are trimmed, with a note saying how much was left out.`,
    "Credentials come from the server's environment: never ask the user for them or pass them as arguments.",
  ].join('\n');
}

/**
 * `text` cut to `max` characters, with a note saying what was left out.
 * @param {string} text
 * @param {number} max
 */
export function trimmed(text, max) {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n… [trimmed: ${text.length - max} of ${text.length} characters left out; the server answers at most ${max}. Ask for less, e.g. a smaller page.]`;
}

/** A failure as the assistant reads it: the tool, the client's error kind, and what the client said. */
function describeFailure(/** @type {string} */ name, /** @type {unknown} */ error) {
  if (!(error instanceof QzzError))
    return `${name} failed: ${error instanceof Error ? error.name : 'Error'}: ${String(error instanceof Error ? error.message : error)}`;
  const fields = /** @type {Record<string, unknown>} */ (error.toJSON());
  const facts = ['errorCode', 'status', 'errcode', 'timedOut', 'aborted']
    .filter((key) => fields[key] !== undefined && fields[key] !== false)
    .map((key) => `${key} ${fields[key]}`);
  return `${name} (${error.action}) failed: ${error.name}${facts.length ? ` (${facts.join(', ')})` : ''}: ${error.message}`;
}

/**
 * An MCP server of the bundle's actions; connect it to a transport (`server.connect(new StdioServerTransport())`).
 * @param {ServerOptions} options
 */
export function createQzzMcpServer({
  doc,
  client,
  allowPush = false,
  allowWrite = false,
  maxAnswerChars = DEFAULT_MAX_ANSWER_CHARS,
  secrets = () => [],
}) {
  const every = toolsOf(doc);
  const offered = new Map(offeredTools(every, { allowPush, allowWrite }).map((tool) => [tool.name, tool]));
  const server = new Server(
    { name: '@qzz/mcp', version },
    { capabilities: { tools: {} }, instructions: instructionsFor({ allowPush, allowWrite }, maxAnswerChars) },
  );
  /** The assistant's copy of `text`: every secret out (before the cut, so no cut leaves part of one), then trimmed. */
  const clean = (/** @type {string} */ text) => trimmed(redactor(secrets())(text), maxAnswerChars);
  const failure = (/** @type {string} */ text) => ({
    isError: true,
    content: [{ type: /** @type {const} */ ('text'), text: clean(text) }],
  });

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [...offered.values()].map(({ name, title, description, inputSchema, annotations }) => ({
      name,
      title,
      description,
      inputSchema,
      annotations,
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async ({ params }, extra) => {
    const tool = offered.get(params.name);
    if (!tool) {
      const known = every.find((candidate) => candidate.name === params.name);
      if (!known) return failure(`No tool ${params.name}: the server lists its tools (tools/list).`);
      const flag = known.effect === 'push' ? '--allow-push' : '--allow-write';
      return failure(
        `${known.name} is off: it ${known.effect === 'push' ? 'pushes a bill down (a draft)' : 'writes to the tenant'}; the server must be started with ${flag} to offer it.`,
      );
    }
    const call = /** @type {Record<string, Record<string, (input: unknown, options: { signal: AbortSignal }) => Promise<unknown>>>} */ (
      /** @type {unknown} */ (client)
    )[tool.module][tool.action];
    try {
      const data = await call(params.arguments ?? {}, { signal: extra.signal });
      return { content: [{ type: 'text', text: clean(JSON.stringify(data ?? null, null, 2)) }] };
    } catch (error) {
      return failure(describeFailure(tool.name, error));
    }
  });
  return server;
}
