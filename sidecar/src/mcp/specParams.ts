// The SDK checks a spec request's params against the spec's schema before a handler runs, but throws a plain
// Error for a failure, which it answers as -32603 Internal error with the validator's issues dumped as JSON: an
// internal error for the client's mistake (resources/read with a number for `uri`, a cursor that is an object,
// a completion `ref` of no known type); its tools/call check does answer -32602, with the same dump in the
// message. JSON-RPC and MCP call that -32602 Invalid params; this Server answers both so, in one sentence naming
// the fields and what was expected, never the values (the wording: errorMapping.ts's invalidParamsOr).

import { Server, type JSONRPCRequest, type Result, type ServerContext } from '@modelcontextprotocol/server';
import { invalidParamsOr } from '../errorMapping.js';

type Handler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>;

export class SpecParamsServer extends Server {
  protected override _wrapHandler(method: string, handler: Handler): Handler {
    const wrapped = super._wrapHandler(method, handler);
    return async (request, ctx) => {
      try {
        return await wrapped(request, ctx);
      } catch (err) {
        throw invalidParamsOr(method, err);
      }
    };
  }
}
