// The Koa application: the request log and error translation around everything, health routes, and /mcp
// with its guards (Origin/Host), authentication, then the SDK. Built from its parts so tests can assemble it.

import Koa from 'koa';
import Router from '@koa/router';
import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { OdooClient } from '../odoo/client.js';
import { MethodNotAllowed, wrongDatabase } from '../errors.js';
import { createServerFactory } from '../mcp/server.js';
import { InFlightCalls } from '../mcp/inFlightCalls.js';
import { ToolCatalog } from '../mcp/toolCatalog.js';
import { authenticate } from './auth.js';
import { corsForAllowedOrigins } from './cors.js';
import { originAndHostGuard } from './guards.js';
import { addHealthRoutes } from './health.js';
import { IdentityCache } from './identityCache.js';
import { mcpRoute } from './mcpRoute.js';
import { OAuthChallenge } from './oauthChallenge.js';
import { admit, RequestBudget } from './requestBudget.js';
import { errorAnswers } from './errorAnswers.js';
import { requestLog } from './requestLog.js';

export interface Sidecar {
  app: Koa;
  mcp: McpHttpHandler;
  odoo: OdooClient;
  identities: IdentityCache;
  catalog: ToolCatalog;
  inFlight: InFlightCalls;
  budget: RequestBudget;
}

function methodNotAllowed(): never {
  throw new MethodNotAllowed('POST');
}

/** JSON-RPC "Method not found", which MCP 2026-07-28 also answers with HTTP 404. */
const NOT_FOUND = -32601;

export function createSidecar(config: Config, log: Logger, version: string): Sidecar {
  const odoo = new OdooClient({
    baseUrl: config.odooUrl,
    cancelUrl: config.odooCancelUrl,
    timeoutMs: config.odooTimeoutMs,
    toolCallTimeoutMs: config.toolCallTimeoutMs,
    maxConcurrency: config.odooMaxConcurrency,
    maxConcurrencyPerKey: config.odooMaxConcurrencyPerKey,
    maxAnswerBytes: config.odooMaxAnswerBytes,
  });
  const identities = new IdentityCache(
    async (key, token) => {
      const identity = await odoo.identity({ key, token });
      const refusal = wrongDatabase(config.odooUrl, identity.database, config.odooDb);
      if (refusal) throw refusal;
      return identity;
    },
    { ttlMs: config.authCacheTtlMs, negativeTtlMs: config.authNegativeTtlMs },
  );
  const catalog = new ToolCatalog(odoo, { ttlMs: config.toolsCacheTtlMs });
  const inFlight = new InFlightCalls();
  const mcp = createMcpHandler(
    createServerFactory({
      odoo,
      catalog,
      inFlight,
      version,
      toolsPageSize: config.toolsPageSize,
      listTtlMs: config.authCacheTtlMs,
      log,
      onKeyRefused: (key) => identities.forget(key),
    }),
    {
      legacy: 'stateless',
      maxRequestBodySize: config.maxBodyBytes,
      onerror: (err) => log.debug('MCP request rejected', { error: err.message }),
    },
  );

  // A key's share of what the sidecar holds is its share of Odoo; room for one request of the largest size at least.
  const perKeyShare = Math.min(config.odooMaxConcurrencyPerKey, config.odooMaxConcurrency) / config.odooMaxConcurrency;
  const budget = new RequestBudget(
    config.maxRequestBytesInFlight,
    Math.max(config.maxBodyBytes, Math.floor(config.maxRequestBytesInFlight * perKeyShare)),
  );

  const app = new Koa();
  app.silent = true;
  app.proxy = false;
  app.on('error', (err: Error & { code?: string }) => {
    // A client dropping an SSE stream is normal, not an error worth a log line.
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET') return;
    log.error('HTTP layer error', { error: err.message });
  });
  app.use(requestLog(log));
  app.use(errorAnswers());

  const router = new Router();
  addHealthRoutes(router, odoo, config.odooDb);
  const guard = originAndHostGuard(config.allowedOrigins, config.allowedHosts);
  const cors = corsForAllowedOrigins(config.allowedOrigins);
  router.options('/mcp', guard, cors, methodNotAllowed);
  const challenge = new OAuthChallenge(odoo);
  router.post('/mcp', guard, cors, authenticate(identities, challenge), admit(budget, config.maxBodyBytes),
    mcpRoute(mcp, config.maxBodyBytes, challenge, log));
  router.all('/mcp', guard, methodNotAllowed);
  app.use(router.routes());
  app.use(router.allowedMethods());
  // any other path (`/mcp//`, `/mcp/x`): a JSON-RPC error body like every other answer here, not Koa's text
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { jsonrpc: '2.0', id: null, error: { code: NOT_FOUND, message: 'Not found: this server answers MCP at /mcp' } };
  });
  return { app, mcp, odoo, identities, catalog, inFlight, budget };
}
