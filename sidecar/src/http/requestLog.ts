// One structured log line per request: HTTP method and path, status, duration, and what the other layers
// learnt about it (MCP method, JSON-RPC id, tool, user and key ids, outcome). Quiet by default: `info`.

import type { Middleware } from 'koa';
import type { RequestFacts } from '../caller.js';
import type { Logger } from '../log.js';

export function requestLog(log: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const facts: RequestFacts = {};
    ctx.state.facts = facts;
    await next();
    const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
    const failure = ctx.state.failure as { message: string; expected: boolean } | undefined;
    const fields = {
      http: `${ctx.method} ${ctx.path}`,
      status,
      durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      ...facts,
      ...(failure ? { error: failure.message } : {}),
    };
    if ((failure && !failure.expected) || status >= 500 || facts.error) log.warn('request', fields);
    else log.info('request', fields);
  };
}
