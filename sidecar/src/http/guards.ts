// DNS-rebinding protection in front of /mcp: a browser Origin or a Host header that is not on the allow-list
// is refused with 403 before anything else happens. The checks themselves are the SDK's.

import type { Middleware } from 'koa';
import { validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';
import { ForbiddenOrigin } from '../errors.js';

export function originAndHostGuard(allowedOrigins: string[] | '*', allowedHosts: string[] | '*'): Middleware {
  return async (ctx, next) => {
    if (allowedHosts !== '*') {
      const host = ctx.get('host');
      if (!validateHostHeader(host, allowedHosts).ok) throw new ForbiddenOrigin('Host', host);
    }
    if (allowedOrigins !== '*') {
      const origin = ctx.get('origin');
      if (origin && !validateOriginHeader(origin, allowedOrigins).ok) throw new ForbiddenOrigin('Origin', origin);
    }
    await next();
  };
}
