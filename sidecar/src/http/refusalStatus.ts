// A single-message POST whose request Odoo refused as a whole is refused as a whole HTTP request, so HTTP
// clients, proxies and gateways act on the status:
// - its one tools/call over a rate limit: HTTP 429 with Retry-After, the JSON-RPC error (code RATE_LIMITED,
//   data.retryAfter) as its body;
// - its key, which the identity cache still held, refused by Odoo (revoked, expired, deleted since): HTTP 401
//   with the challenge of a refusal at authentication (MCP authorization: an invalid token "MUST receive a
//   HTTP 401"), the JSON-RPC error (-32001) as its body. The next request meets the refusal at authentication.
// Only a plain JSON answer (2026-07-28) can still take a status once Odoo has answered: a 2025-era answer is an
// SSE stream whose 200 went out when the request started, and a batch carries other answers; those keep the
// JSON-RPC error alone.

import type { McpHttpHandler } from '@modelcontextprotocol/server';
import type { Caller } from '../caller.js';
import { bearerChallenge } from '../errorMapping.js';
import type { OAuthChallenge } from './oauthChallenge.js';

/** `handler`, with the 200 of a single refused request's JSON answer turned into its 429 or 401. */
export function withRefusalStatus(handler: McpHttpHandler, challenge: OAuthChallenge): McpHttpHandler {
  const fetch: McpHttpHandler['fetch'] = async (request, options) => {
    const response = await handler.fetch(request, options);
    const facts = (options?.authInfo?.extra?.caller as Caller | undefined)?.facts;
    const json = (response.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json');
    if (!facts || response.status !== 200 || !json || facts.mcpMethod === 'batch') return response;
    const headers = new Headers(response.headers);
    if (facts.keyRefused) {
      facts.keyRefused.oauth = await challenge.current();
      headers.set('WWW-Authenticate', bearerChallenge(facts.keyRefused));
      return new Response(response.body, { status: 401, statusText: 'Unauthorized', headers });
    }
    if (facts.retryAfterSeconds === undefined || facts.mcpMethod !== 'tools/call') return response;
    headers.set('Retry-After', String(facts.retryAfterSeconds));
    return new Response(response.body, { status: 429, statusText: 'Too Many Requests', headers });
  };
  return { ...handler, fetch };
}
