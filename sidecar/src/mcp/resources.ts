// MCP resources for the authenticated caller: resources/list, resources/templates/list and resources/read,
// each relayed to Odoo with the caller's own key. Odoo decides what the caller may list and read (rights,
// record rules, the key's restrictions, the size limits) and audits every read; the sidecar only relays.

import type { Server, ServerContext } from '@modelcontextprotocol/server';
import type { Caller } from '../caller.js';
import { InvalidCursor } from '../errors.js';
import { clientOf, failRequest, protocolVersionOf, type McpServices } from './server.js';

/** What `capabilities` declares for resources (both eras): no subscriptions, no list-changed notifications. */
export const RESOURCES_CAPABILITY = {};

/** Registers the resource handlers on one request's `server`, for `caller`. */
export function registerResourceHandlers(server: Server, caller: Caller, services: McpServices, request: Request | undefined): void {
  const fail = (err: unknown): never => failRequest(services, caller, err);

  server.setRequestHandler('resources/list', async (req, ctx) => {
    caller.facts.mcpMethod = 'resources/list';
    try {
      const page = await services.odoo.listResources(caller.credentials, req.params?.cursor, ctx.mcpReq.signal);
      return { resources: page.resources, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    } catch (err) {
      return fail(err);
    }
  });

  server.setRequestHandler('resources/templates/list', async (req, ctx) => {
    caller.facts.mcpMethod = 'resources/templates/list';
    // one page, always: a cursor can only be one this server never gave
    try {
      if (req.params?.cursor !== undefined) throw new InvalidCursor('Invalid cursor');
      return { resourceTemplates: await services.odoo.listResourceTemplates(caller.credentials, ctx.mcpReq.signal) };
    } catch (err) {
      return fail(err);
    }
  });

  server.setRequestHandler('resources/read', async (req, ctx: ServerContext) => {
    caller.facts.mcpMethod = 'resources/read';
    const { uri } = req.params;
    try {
      const client = clientOf(ctx, server);
      const protocolVersion = protocolVersionOf(ctx, request);
      const contents = await services.odoo.readResource(
        caller.credentials,
        { uri, ...(client ? { client } : {}), requestId: String(ctx.mcpReq.id), ...(protocolVersion ? { protocolVersion } : {}) },
        ctx.mcpReq.signal,
      );
      caller.facts.outcome = 'ok';
      return { contents };
    } catch (err) {
      caller.facts.outcome = err instanceof Error ? err.name : 'error';
      return fail(err);
    }
  });
}
