// Turns a typed failure thrown before the MCP layer (guards, auth, identity, body size) into its HTTP answer,
// as errorMapping.httpAnswerFor says, and notes it for the request's log line (with the internal detail the
// client's answer leaves out, such as Odoo's URL).

import type { Middleware } from 'koa';
import type { RequestFacts } from '../caller.js';
import { httpAnswerFor, isClientMistake } from '../errorMapping.js';
import { logDetail } from '../errors.js';

export function errorAnswers(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const answer = httpAnswerFor(err);
      answer.body.id = (ctx.state.facts as RequestFacts | undefined)?.rpcId ?? null;
      ctx.status = answer.status;
      ctx.set(answer.headers);
      ctx.body = answer.body;
      ctx.state.failure = {
        message: logDetail(err),
        expected: isClientMistake(err),
      };
    }
  };
}
