// What the MCP tests share: the bundle, an MCP client over stdio to the real CLI or in memory to a server, and
// the leak finder of the secrets tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { secretForms } from '@qzz/client/secrets';
import { createQzzMcpServer } from '../src/server.js';

export const doc = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@qzz/spec/openapi.json')), 'utf8'));
export const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/** Credentials for the mock, as the environment gives them. */
export const MOCK_ENV = {
  QZZ_ACCESS_TOKEN: 'dev-token',
  QZZ_GROUP_NAME: 'dev',
  QZZ_ACCOUNT_ID: 'dev',
  QZZ_ROUTER_ADDR: 'https://tf.jdy.com',
};

/**
 * An MCP client connected over stdio to `qzz-mcp` run with `args` and `env` (and nothing else of this process's
 * environment but PATH). `stderr` collects what the server said there.
 * @param {string[]} args
 * @param {Record<string, string>} env
 * @param {{ command?: string, commandArgs?: string[], cwd?: string }} [how] another command than `node src/cli.js`
 */
export async function stdioClient(args, env, how = {}) {
  const transport = new StdioClientTransport({
    command: how.command ?? process.execPath,
    args: [...(how.commandArgs ?? [CLI]), ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd: how.cwd,
    stderr: 'pipe',
  });
  const said = { stderr: '' };
  transport.stderr?.on('data', (chunk) => {
    said.stderr += chunk;
  });
  const client = new Client({ name: 'qzz-mcp-test', version: '0' });
  await client.connect(transport);
  return { client, said, close: () => client.close() };
}

/**
 * An MCP client connected in memory to a server made with `options` (see createQzzMcpServer).
 * @param {Omit<import('../src/server.js').ServerOptions, 'doc'>} options
 */
export async function memoryClient(options) {
  const server = createQzzMcpServer({ doc, ...options });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'qzz-mcp-test', version: '0' });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** The text of a tool result. */
export const textOf = (/** @type {any} */ result) => result.content.map((/** @type {any} */ part) => part.text ?? '').join('\n');

/** The first form of `secret` (whole when 8 characters or fewer, else any 8-character fragment) that `text` holds. */
export function leak(/** @type {string} */ text, /** @type {string} */ secret) {
  for (const form of secretForms(secret)) {
    if (form.length <= 8) {
      if (text.includes(form)) return form;
      continue;
    }
    for (let i = 0; i + 8 <= form.length; i++) if (text.includes(form.slice(i, i + 8))) return form.slice(i, i + 8);
  }
  return undefined;
}
