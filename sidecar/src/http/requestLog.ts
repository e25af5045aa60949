// One structured log line per request (method, tool, user id, status, duration, JSON-RPC id), and the
// translation of thrown typed errors into HTTP answers (errorMapping.httpAnswerFor) for what runs before MCP.

import type { Middleware } from 'koa';
import type { RequestFacts } from '../caller.js';
import { httpAnswerFor } from '../errorMapping.js';
import { AuthError, ForbiddenOrigin } from '../errors.js';
import type { Logger } from '../log.js';

export function requestLogAndErrors(log: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const facts: RequestFacts = {};
    ctx.state.facts = facts;
    let failure: unknown;
    try {
      await next();
    } catch (err) {
      failure = err;
      const answer = httpAnswerFor(err);
      answer.body.id = facts.rpcId ?? null;
      ctx.status = answer.status;
      ctx.set(answer.headers);
      ctx.body = answer.body;
    }
    const finish = () => {
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
      const fields = {
        http: `${ctx.method} ${ctx.path}`,
        status,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ...facts,
        ...(failure instanceof Error ? { error: failure.message } : {}),
      };
      const expected = failure === undefined || failure instanceof AuthError || failure instanceof ForbiddenOrigin;
      if (!expected || status >= 500) log.warn('request', fields);
      else log.info('request', fields);
    };
    finish();
  };
}
