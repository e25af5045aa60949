// prompts/list, prompts/get and completion/complete for the authenticated caller: Odoo computes and fills
// the prompts (docs/contract.md, "Prompts and completions"), and suggests completions, as the caller's own
// user; this module only relays, paginates, and maps Odoo's refusals to JSON-RPC errors.

import { createHash } from 'node:crypto';
import {
  type CompleteResult,
  type GetPromptResult,
  type Prompt,
  type Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Caller } from '../caller.js';
import type { Credentials } from '../odoo/client.js';
import { paginate } from './pagination.js';
import { failRequest, type McpServices } from './server.js';

/** Pages of Odoo's prompt list followed at most: a list longer than this is an Odoo bug, not data. */
const MAX_ODOO_PAGES = 20;

/** What the server declares for this module in both eras. */
export const promptCapabilities = { prompts: {}, completions: {} };

/** What each request handler needs besides the request: who calls, and how to reach Odoo and the client. */
export interface PromptRequestFacts {
  caller: Caller;
  client: (ctx: ServerContext) => { name: string; version: string } | undefined;
  protocolVersion: (ctx: ServerContext) => string | undefined;
}

async function allPrompts(services: McpServices, credentials: Credentials, signal: AbortSignal): Promise<Prompt[]> {
  const prompts: Prompt[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_ODOO_PAGES; page += 1) {
    const answer = await services.odoo.listPrompts(credentials, cursor, signal);
    prompts.push(...answer.prompts);
    if (!answer.nextCursor) return prompts;
    cursor = answer.nextCursor;
  }
  return prompts;
}

/** Registers the prompt and completion handlers on a server declared with `promptCapabilities`. */
export function registerPrompts(server: Server, services: McpServices, facts: PromptRequestFacts): void {
  const { caller } = facts;
  const fail = (err: unknown): never => failRequest(services, caller, err);

  server.setRequestHandler('prompts/list', async (request, ctx) => {
    caller.facts.mcpMethod = 'prompts/list';
    try {
      const prompts = await allPrompts(services, caller.credentials, ctx.mcpReq.signal);
      // the cursor is cut from this list's version, so a cursor from an older list is refused, not misread
      const version = createHash('sha256').update(JSON.stringify(prompts)).digest('hex');
      const page = paginate(prompts, request.params?.cursor, services.toolsPageSize, version);
      return { prompts: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    } catch (err) {
      return fail(err);
    }
  });

  // the SDK checks the params against the spec's schema (arguments are text); SpecParamsServer words its verdict
  server.setRequestHandler('prompts/get', async (request, ctx): Promise<GetPromptResult> => {
    const { name, arguments: args = {} } = request.params;
    caller.facts.mcpMethod = 'prompts/get';
    caller.facts.tool = name;
    try {
      const client = facts.client(ctx);
      const protocolVersion = facts.protocolVersion(ctx);
      // sent as they came: Odoo checks the name and the arguments, and audits the request either way
      const result = await services.odoo.getPrompt(
        caller.credentials,
        {
          name,
          arguments: args,
          ...(client ? { client } : {}),
          requestId: String(ctx.mcpReq.id),
          ...(protocolVersion ? { protocolVersion } : {}),
        },
        ctx.mcpReq.signal,
      );
      caller.facts.outcome = 'ok';
      return result;
    } catch (err) {
      caller.facts.outcome = err instanceof Error ? err.name : 'error';
      return fail(err);
    }
  });

  server.setRequestHandler('completion/complete', async (request, ctx): Promise<CompleteResult> => {
    caller.facts.mcpMethod = 'completion/complete';
    const { ref, argument, context } = request.params;
    try {
      return await services.odoo.complete(
        caller.credentials,
        {
          ref: ref.type === 'ref/prompt' ? { type: ref.type, name: ref.name } : { type: ref.type, uri: ref.uri },
          argument: { name: argument.name, value: argument.value },
          ...(context?.arguments ? { context: { arguments: context.arguments } } : {}),
        },
        ctx.mcpReq.signal,
      );
    } catch (err) {
      return fail(err);
    }
  });
}
