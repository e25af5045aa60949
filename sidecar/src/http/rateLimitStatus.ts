// A single-message POST whose one tools/call Odoo refused over a rate limit is refused as a whole request:
// HTTP 429 with Retry-After, the JSON-RPC error (code RATE_LIMITED, data.retryAfter) as its body, so HTTP
// clients, proxies and gateways that know 429 back off. Only a plain JSON answer (2026-07-28) can still take
// that status once the call's outcome is known: a 2025-era answer is an SSE stream whose 200 went out when
// the call started, and a batch carries other answers; those keep the JSON-RPC error alone.

import type { McpHttpHandler } from '@modelcontextprotocol/server';
import type { Caller } from '../caller.js';

/** `handler`, with the 200 of a single rate-limited call's JSON answer turned into a 429 with Retry-After. */
export function refuseRateLimitedRequests(handler: McpHttpHandler): McpHttpHandler {
  const fetch: McpHttpHandler['fetch'] = async (request, options) => {
    const response = await handler.fetch(request, options);
    const facts = (options?.authInfo?.extra?.caller as Caller | undefined)?.facts;
    const retryAfter = facts?.retryAfterSeconds;
    const json = (response.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json');
    if (retryAfter === undefined || facts?.mcpMethod !== 'tools/call' || response.status !== 200 || !json) return response;
    const headers = new Headers(response.headers);
    headers.set('Retry-After', String(retryAfter));
    return new Response(response.body, { status: 429, statusText: 'Too Many Requests', headers });
  };
  return { ...handler, fetch };
}
