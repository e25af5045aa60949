// CORS for browser-based MCP clients on an allowed Origin (loopback by default, MCP_ALLOWED_ORIGINS):
// preflights are answered and responses name that origin; any other origin gets no CORS headers (and its
// requests are refused by the Origin guard anyway). No cookies are involved, so no credentials mode.

import cors from '@koa/cors';
import type { Middleware } from 'koa';
import { validateOriginHeader } from '@modelcontextprotocol/server';

export function corsForAllowedOrigins(allowedOrigins: string[] | '*'): Middleware {
  return cors({
    origin: (ctx) => {
      const origin = ctx.get('origin');
      if (!origin) return '';
      return allowedOrigins === '*' || validateOriginHeader(origin, allowedOrigins).ok ? origin : '';
    },
    allowMethods: ['POST'],
    // Request headers are reflected (MCP adds Mcp-* headers, and 2026-07-28 tools may declare their own).
    exposeHeaders: ['Mcp-Protocol-Version', 'Mcp-Session-Id', 'WWW-Authenticate'],
    maxAge: 600,
    keepHeadersOnError: true,
  });
}
