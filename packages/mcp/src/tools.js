// The tools: one per business action of the bundle, named after the client's function, offered by what the
// action's kind does to a tenant. Queries only read; a push answers an unsaved draft (the vendor's examples
// answer it with id "0"); saves and audits write. The gateway's own signed calls are no tools: their answers
// are credentials.
import { effectOf, listActions, moduleKey } from '@qzz/spec/actions';
import { inputSchemaOf } from './schema.js';

/** @typedef {import('@qzz/spec/actions').Effect} Effect */
/**
 * @typedef {{ name: string, module: string, action: string, kind: string, effect: Effect, title: string,
 *   description: string, inputSchema: Record<string, unknown>,
 *   annotations: { title: string, readOnlyHint: boolean, destructiveHint: boolean, idempotentHint: boolean, openWorldHint: boolean } }} Tool
 */

/** What each effect tells the assistant, in Chinese and English. */
const EFFECT_NOTE = {
  read: '只读 · Read-only: reads the tenant, changes nothing.',
  push: '下推 · Push: creates an unsaved draft of the target bill (the vendor\'s examples answer it with id "0"); nothing is saved.',
  write: '写入 · Writes: saves or audits bills in the tenant. Ask the user before calling it.',
};

/**
 * The tool name of a client function (`module.action` → `module_action`): MCP clients accept `[A-Za-z0-9_-]`.
 * @param {string} module
 * @param {string} action
 */
export const toolName = (module, action) => `${module}_${action}`;

/**
 * Every tool the bundle makes, whatever is allowed.
 * @param {any} doc the bundle (`@qzz/spec/openapi.json`)
 * @returns {Tool[]}
 */
export function toolsOf(doc) {
  const moduleOfTag = new Map((doc.tags ?? []).map((/** @type {any} */ tag) => [tag.name, moduleKey(tag['x-qzz-module'])]));
  /** @type {Record<string, string>} */
  const english = doc['x-qzz-titles-en'] ?? {};
  return listActions(doc)
    .filter((action) => !action.signed)
    .map((action) => {
      const module = moduleOfTag.get(action.tag);
      if (!module) throw new Error(`${action.name}: its operation's tag is not a module of the bundle.`);
      const effect = effectOf(action.kind);
      const title = english[action.summary] ? `${action.summary} · ${english[action.summary]}` : action.summary;
      return {
        name: toolName(module, action.name),
        module,
        action: action.name,
        kind: action.kind,
        effect,
        title,
        description: [
          title,
          EFFECT_NOTE[effect],
          `${action.method.toUpperCase()} ${action.wirePath}: ${module}.${action.name} of @qzz/client (evidence ${action.source}; ${action.status}).`,
          'The values that select this action on its route are filled in; pass only the business data.',
        ].join('\n'),
        inputSchema: inputSchemaOf(doc, action),
        annotations: {
          title,
          readOnlyHint: effect === 'read',
          destructiveHint: effect === 'write',
          idempotentHint: effect === 'read',
          openWorldHint: true,
        },
      };
    });
}

/**
 * The tools a server started with these permissions offers.
 * @param {Tool[]} tools
 * @param {{ allowPush?: boolean, allowWrite?: boolean }} allow
 */
export const offeredTools = (tools, { allowPush = false, allowWrite = false }) =>
  tools.filter((tool) => tool.effect === 'read' || (tool.effect === 'push' && allowPush) || (tool.effect === 'write' && allowWrite));
