// MCP wiring: one low-level SDK `Server` per HTTP request (stateless), answering tools/list and tools/call
// for the authenticated caller. The SDK does the protocol (both eras, discover/initialize, envelopes,
// headers, errors); this module lists the caller's tools as Odoo computes them and relays every call to Odoo.
// The low-level Server is used because the tools are data from Odoo (JSON Schemas), not code registered here.

import {
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  type Server,
  type CallToolResult,
  type InputRequiredResult,
  type McpServerFactory,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Caller } from '../caller.js';
import {
  AuthError,
  CallCancelled,
  logDetail,
  OdooAnswerTooLarge,
  OdooRefusesService,
  OdooUnavailable,
  RateLimited,
  RequestCancelled,
  ToolResultInvalid,
  ToolResultTooLarge,
} from '../errors.js';
import { protocolErrorFor, toolResultOrThrow } from '../errorMapping.js';
import type { Logger } from '../log.js';
import type { OdooClient } from '../odoo/client.js';
import { callScope, forwardCancellation, sessionScope } from './cancellation.js';
import { answerOf, canAskInBand, questionFor } from './confirmation.js';
import type { InFlightCalls } from './inFlightCalls.js';
import { paginate } from './pagination.js';
import { endWithoutAnswer } from './unanswered.js';
import { promptCapabilities, registerPrompts } from './prompts.js';
import type { ToolCatalog } from './toolCatalog.js';
import { registerResourceHandlers, RESOURCES_CAPABILITY } from './resources.js';
import { SpecParamsServer } from './specParams.js';

export interface McpServices {
  odoo: OdooClient;
  catalog: ToolCatalog;
  inFlight: InFlightCalls;
  version: string;
  toolsPageSize: number;
  /** How long clients may keep a tools/list answer (2026-07-28 `ttlMs`): a change shows after one identity check. */
  listTtlMs: number;
  log: Logger;
  /** Called when Odoo refuses a key the identity cache still trusted (revoked meanwhile). */
  onKeyRefused: (key: string) => void;
}

/** Reads the caller the auth middleware attached; a request without one never reaches this layer. */
export function callerOf(authInfo: { extra?: Record<string, unknown> } | undefined): Caller {
  const caller = authInfo?.extra?.caller as Caller | undefined;
  if (!caller) throw new ProtocolError(ProtocolErrorCode.InternalError, 'request reached MCP without authentication');
  return caller;
}

export function clientOf(ctx: ServerContext, server: Server): { name: string; version: string } | undefined {
  const envelope = (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
  const info = (envelope[CLIENT_INFO_META_KEY] as { name?: unknown; version?: unknown } | undefined) ?? server.getClientVersion();
  if (!info || typeof info.name !== 'string') return undefined;
  return { name: info.name, version: typeof info.version === 'string' ? info.version : '' };
}

export function protocolVersionOf(ctx: ServerContext, request: Request | undefined): string | undefined {
  const envelope = (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
  const fromEnvelope = envelope[PROTOCOL_VERSION_META_KEY];
  if (typeof fromEnvelope === 'string') return fromEnvelope;
  // 2025-era requests name it in the header; without one the spec says to assume 2025-03-26.
  return request?.headers.get('mcp-protocol-version') ?? '2025-03-26';
}

/** Puts Odoo's trouble, with the detail the client's answer leaves out (its URL), on the request's log line. */
export function noteTrouble(caller: Caller, err: unknown): void {
  const trouble = err instanceof OdooUnavailable || err instanceof OdooRefusesService || err instanceof OdooAnswerTooLarge;
  if (trouble || err instanceof ToolResultTooLarge) caller.facts.error = logDetail(err);
}

/**
 * Fails a request handler with the JSON-RPC error of `err` (errorMapping.ts), after what every handler does
 * first: a key Odoo refused is forgotten by the identity cache (the next request meets the refusal at
 * authentication, HTTP 401), and Odoo's trouble goes on the request's log line.
 */
export function failRequest(services: Pick<McpServices, 'onKeyRefused'>, caller: Caller, err: unknown): never {
  if (err instanceof AuthError) keyRefused(services, caller, err);
  noteTrouble(caller, err);
  throw protocolErrorFor(err);
}

/** The identity cache forgets a key Odoo refused; the request's answer becomes a 401 (http/refusalStatus.ts). */
function keyRefused(services: Pick<McpServices, 'onKeyRefused'>, caller: Caller, err: AuthError): void {
  services.onKeyRefused(caller.credentials.key);
  caller.facts.keyRefused = err;
}

/** `answer`, or a rejection as soon as `cancelled` aborts (the call itself goes on: its answer is Odoo's). */
function untilCancelled<T>(answer: Promise<T>, cancelled: AbortSignal): Promise<T> {
  if (cancelled.aborted) return Promise.reject(new RequestCancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RequestCancelled());
    cancelled.addEventListener('abort', onAbort, { once: true });
    answer.then(resolve, reject).finally(() => cancelled.removeEventListener('abort', onAbort));
  });
}

/** The factory `createMcpHandler` calls once per HTTP request. */
export function createServerFactory(services: McpServices): McpServerFactory {
  return ({ authInfo, requestInfo, era }) => {
    const caller = callerOf(authInfo);
    const { identity } = caller;
    const server = new SpecParamsServer(
      { name: identity.server.name, version: services.version },
      {
        capabilities: {
          tools: {},
          resources: RESOURCES_CAPABILITY,
          ...promptCapabilities,
        },
        ...(identity.server.instructions ? { instructions: identity.server.instructions } : {}),
        cacheHints: {
          'tools/list': { ttlMs: services.listTtlMs, cacheScope: 'private' },
          'prompts/list': { ttlMs: services.listTtlMs, cacheScope: 'private' },
          'server/discover': { ttlMs: services.listTtlMs, cacheScope: 'private' },
          // resources: the lists change as rarely as the tools; a read is of live data (ttlMs 0)
          'resources/list': { ttlMs: services.listTtlMs, cacheScope: 'private' },
          'resources/templates/list': { ttlMs: services.listTtlMs, cacheScope: 'private' },
          'resources/read': { ttlMs: 0, cacheScope: 'private' },
        },
      },
    );

    // the relays of this HTTP request's calls, abandoned when its 2025-era client goes away (one listener for
    // all the calls of a batch)
    const relays = new Set<{ relay: AbortController; cancelled: AbortSignal }>();
    requestInfo?.signal.addEventListener('abort', () => {
      for (const { relay, cancelled } of relays) if (!cancelled.aborted) relay.abort();
    }, { once: true });

    server.setRequestHandler('tools/list', async (request, ctx) => {
      caller.facts.mcpMethod = 'tools/list';
      try {
        const catalog = await services.catalog.forCaller(caller, ctx.mcpReq.signal);
        const page = paginate(catalog.tools, request.params?.cursor, services.toolsPageSize, catalog.fingerprint);
        return { tools: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      } catch (err) {
        return failRequest(services, caller, err);
      }
    });

    // Stateless: the call being cancelled runs in another request's server instance, maybe on another replica
    // (or in this one: a 2025-03-26 batch holding a call and its cancellation).
    server.setNotificationHandler('notifications/cancelled', (notification) => {
      const requestId = notification.params.requestId;
      if (requestId === undefined) return;
      // the session this notification names the id in (the call's own, on whatever replica it runs)
      const scope = sessionScope(caller.session, requestId);
      // this replica's own call stops waiting at once...
      const local = services.inFlight.cancel(identity.user.id, identity.key.id, scope, requestId);
      // ...and Odoo, which runs it whichever replica relayed it, stops it and rolls it back, or stops it
      // before it runs if it has not reached Odoo yet
      const forwarded = forwardCancellation(services.odoo, caller, requestId, scope, services.log).then((found) => {
        caller.facts.outcome = found ? 'cancelled_call' : local ? 'cancelled_locally' : 'nothing_to_cancel';
      });
      caller.followUps.push(forwarded);
    });

    server.setRequestHandler('tools/call', async (request, ctx): Promise<CallToolResult | InputRequiredResult> => {
      const { name } = request.params;
      const args = request.params.arguments ?? {};
      caller.facts.mcpMethod = 'tools/call';
      caller.facts.tool = name;
      const requestId = ctx.mcpReq.id;
      // what names this call to a cancellation (mcp/cancellation.ts): its session, or a token of its own
      const scope = era === 'modern' ? callScope() : sessionScope(caller.session, requestId);
      const tracked = services.inFlight.track(identity.user.id, identity.key.id, scope, requestId);
      // 2026-07-28: the client closing this call's response stream is its cancellation (no notifications/cancelled
      // over HTTP), so Odoo is told to stop it. 2025-era: "disconnection SHOULD NOT be interpreted as the client
      // cancelling its request": Odoo runs it to its end (audited), only this relay is dropped.
      let settled = false;
      if (era === 'modern') {
        ctx.mcpReq.signal.addEventListener('abort', () => {
          // the SDK also aborts the signal once the call is answered: only a call still running is cancelled
          if (!settled) caller.followUps.push(forwardCancellation(services.odoo, caller, requestId, scope, services.log));
        }, { once: true });
      }
      // A cancelled call is never withdrawn from Odoo: it still reaches Odoo, which stops it (or, if it has not
      // started, runs nothing) and audits it once. Only a 2025-era client going away abandons the relay.
      const relay = new AbortController();
      if (era !== 'modern') relays.add({ relay, cancelled: tracked.signal });
      // A call waiting for its user's turn (odoo/runningCalls.ts) is no exception: cancelled, it keeps its place
      // and reaches Odoo in its turn, where the cancellation forwarded meanwhile stops it before it starts.
      // Odoo decides about every call, and audits it: an unknown tool, arguments that fail the schema and a
      // tool outside the key's catalog are all sent, and answered as Odoo answers them. The caller's catalog
      // (usually cached) only supplies the outputSchema the result is checked and projected against; it is
      // looked up alongside the call, and a failure to get it never stops a call.
      const catalog = services.catalog.forCaller(caller, ctx.mcpReq.signal).catch((err: unknown) => {
        services.log.warn('tool list unavailable: result relayed without its outputSchema', {
          tool: name,
          error: err instanceof Error ? err.message : String(err),
        });
        return undefined;
      });
      try {
        const client = clientOf(ctx, server);
        const protocolVersion = protocolVersionOf(ctx, requestInfo);
        const confirmation = answerOf(ctx);
        const answer = services.odoo.callTool(
          caller.credentials,
          {
            name,
            arguments: args,
            ...(client ? { client } : {}),
            requestId: String(requestId),
            ...(scope ? { cancelScope: scope } : {}),
            ...(protocolVersion ? { protocolVersion } : {}),
            ...(confirmation ? { confirmation } : {}),
            // Odoo binds its state to how the person is asked, and then takes no confirmation_token argument
            // (the model's word) in place of the person's own answer
            ...(canAskInBand(ctx) ? { confirmWith: 'elicitation' as const } : {}),
          },
          relay.signal,
          { userId: identity.user.id, cap: identity.runningCallsPerUser },
        ).finally(() => {
          settled = true;
        });
        // Odoo's own answer to a cancelled call (409, audited) is still awaited, as part of this request
        tracked.signal.addEventListener('abort', () => caller.followUps.push(answer.catch(() => undefined)), { once: true });
        const result = await untilCancelled(answer, tracked.signal);
        // Odoo ran nothing and asks the person first (mcp/confirmation.ts)
        const question = questionFor(result, ctx);
        if (question) {
          caller.facts.outcome = 'confirmation_requested';
          return question;
        }
        caller.facts.outcome = result.isError ? 'tool_error' : 'ok';
        if (result.isError) return result;
        const known = await catalog;
        const outputSchema = known?.byName.get(name)?.outputSchema;
        if (outputSchema) {
          const wrong = known.resultCheck(name)?.(result.structuredContent) ?? [];
          if (wrong.length > 0) {
            services.log.warn('Odoo result does not match the outputSchema', { tool: name, problems: wrong });
            throw new ToolResultInvalid(name, wrong);
          }
        }
        return server.projectCallToolResult(result, outputSchema);
      } catch (err) {
        settled = true;
        caller.facts.outcome = err instanceof Error ? err.name : 'error';
        if (err instanceof CallCancelled || tracked.signal.aborted) {
          // "Receivers of a cancellation notification SHOULD NOT send a response for the cancelled request":
          // nothing is sent for it; the other requests of its HTTP exchange (a batch) are still answered.
          caller.facts.outcome = 'cancelled';
          endWithoutAnswer(server, requestId);
          return { content: [], isError: true };
        }
        // The next request then meets the refusal at authentication (HTTP 401), not a cached identity.
        if (err instanceof AuthError) keyRefused(services, caller, err);
        if (err instanceof RateLimited) caller.facts.retryAfterSeconds = err.retryAfterSeconds;
        noteTrouble(caller, err);
        return toolResultOrThrow(err);
      } finally {
        tracked.done();
      }
    });

    registerResourceHandlers(server, caller, services, requestInfo);
    registerPrompts(server, services, {
      caller,
      client: (ctx) => clientOf(ctx, server),
      protocolVersion: (ctx) => protocolVersionOf(ctx, requestInfo),
    });

    return server;
  };
}
