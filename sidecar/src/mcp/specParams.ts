// The SDK checks a spec request's params against the spec's schema before a handler runs, but throws a plain
// Error for a failure, which it answers as -32603 Internal error with the validator's issues dumped as JSON: an
// internal error for the client's mistake (resources/read with a number for `uri`, a cursor that is an object,
// a completion `ref` of no known type); its tools/call check does answer -32602, with the same dump in the
// message. JSON-RPC and MCP call that -32602 Invalid params; this Server answers both so, in one sentence naming
// the fields and what was expected, never the values.

import {
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type JSONRPCRequest,
  type Result,
  type ServerContext,
} from '@modelcontextprotocol/server';

type Handler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>;

const NAMED_ISSUES = 3;
const PART_MAX_CHARS = 100;

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

interface Issue {
  path: unknown[];
  message: string;
}

/** The SDK's schema failure as -32602 naming its fields; any other error unchanged. */
export function invalidParamsOr(method: string, err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  // the dump comes as a plain Error (before the handler) or as tools/call's -32602 "Invalid tools/call request:
  // <dump>"; the SDK's other errors (ProtocolError, SdkError) and ours never hold one
  const invalidParams = err instanceof ProtocolError && err.code === (ProtocolErrorCode.InvalidParams as number);
  if (err.constructor !== Error && !invalidParams) return err;
  const dump = err.message.slice(Math.max(err.message.indexOf('['), 0));
  let issues: unknown;
  try {
    issues = JSON.parse(dump);
  } catch {
    return err;
  }
  if (!Array.isArray(issues) || issues.length === 0 || !issues.every(isIssue)) return err;
  const named = issues.slice(0, NAMED_ISSUES).map((issue) => {
    const path = issue.path.filter((part) => part !== 'params').map(String).join('.').slice(0, PART_MAX_CHARS);
    return `${path || 'params'}: ${issue.message.slice(0, PART_MAX_CHARS)}`;
  });
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid params for ${method}: ${named.join('; ')}.`);
}

function isIssue(value: unknown): value is Issue {
  const issue = value as Partial<Issue> | null;
  return typeof issue === 'object' && issue !== null && Array.isArray(issue.path) && typeof issue.message === 'string';
}
