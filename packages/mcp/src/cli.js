#!/usr/bin/env node
// `qzz-mcp`: the MCP server on stdio. Credentials come from the environment (QZZ_*), never from arguments; stdout
// carries only the protocol, so every message of the server's own goes to stderr.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { clientOptionsFromEnv, createQzzClient, SECRET_VARIABLES, variableValues } from '@qzz/client';
import { createQzzMcpServer, DEFAULT_MAX_ANSWER_CHARS } from './server.js';

const HELP = `Usage: qzz-mcp [--allow-push] [--allow-write] [--max-answer-chars <n>]

An MCP server (stdio) of the 轻智造-通用 API: one tool per vendor action, each call made through @qzz/client.

  --allow-push            Also offer pushes. A push answers an unsaved draft of the target bill (the vendor's
                          examples answer it with id "0"): nothing is saved.
  --allow-write           Also offer saves and audits, which write to the tenant.
  --max-answer-chars <n>  Trim longer answers, with a note (default ${DEFAULT_MAX_ANSWER_CHARS}).

Queries and reads are always offered. Credentials come from the environment only:
  QZZ_ACCESS_TOKEN, QZZ_GROUP_NAME, QZZ_ACCOUNT_ID, QZZ_ROUTER_ADDR   a token you have, or
  QZZ_CLIENT_ID, QZZ_CLIENT_SECRET, QZZ_OUTER_INSTANCE_ID            the Kingdee flow
  QZZ_BASE_URL                                                       where calls go (default: the gateway)`;

/** The tokens business calls carried lately (the Kingdee flow's change): no answer may quote one. */
const REMEMBERED_TOKENS = 16;

/** Reads the command line; exits 2 with a message on a bad one. */
function readArguments(/** @type {string[]} */ args) {
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        'allow-push': { type: 'boolean' },
        'allow-write': { type: 'boolean' },
        'max-answer-chars': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const max = values['max-answer-chars'] === undefined ? DEFAULT_MAX_ANSWER_CHARS : Number(values['max-answer-chars']);
    if (!Number.isSafeInteger(max) || max < 100) throw new Error('--max-answer-chars must be a whole number of at least 100.');
    return {
      help: values.help === true,
      allowPush: values['allow-push'] === true,
      allowWrite: values['allow-write'] === true,
      maxAnswerChars: max,
    };
  } catch (error) {
    process.stderr.write(`qzz-mcp: ${error.message}\n\n${HELP}\n`);
    process.exit(2);
  }
}

/** A fetch that notes the access token each call carries, so answers can be kept clean of it. */
function notingTokens(/** @type {Set<string>} */ tokens) {
  /** @type {typeof fetch} */
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const token = URL.canParse(url) ? new URL(url).searchParams.get('access_token') : null;
    if (token) {
      tokens.delete(token);
      tokens.add(token);
      if (tokens.size > REMEMBERED_TOKENS) tokens.delete(/** @type {string} */ (tokens.values().next().value));
    }
    return fetch(input, init);
  };
}

async function main() {
  const options = readArguments(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  let clientOptions;
  try {
    clientOptions = clientOptionsFromEnv(process.env);
  } catch (error) {
    process.stderr.write(`qzz-mcp: ${error.message}\n`);
    process.exit(2);
  }
  const tokens = new Set();
  // Only the secrets are kept out of answers (the client's SECRET_VARIABLES), not the group name or account id that
  // the check keeps out of its shared files (PRIVATE_VARIABLES): an assistant reads the tenant's own data for the
  // tenant's user, and those identifiers are part of that data; taking them out would change it, not hide it.
  const fixed = variableValues(process.env, SECRET_VARIABLES);
  const client = createQzzClient({ ...clientOptions, fetch: notingTokens(tokens) });
  const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
  const server = createQzzMcpServer({ doc, client, ...options, secrets: () => [...fixed, ...tokens] });
  await server.connect(new StdioServerTransport());
  process.stderr.write(`qzz-mcp: serving on stdio (${clientOptions.baseUrl})\n`);
}

await main();
