// The one place where the sidecar's typed failures become protocol answers: an HTTP status with a JSON body
// (before the MCP layer, e.g. auth), or a JSON-RPC error / an `isError` tool result (inside it).

import { ProtocolError, ProtocolErrorCode, type CallToolResult } from '@modelcontextprotocol/server';
import {
  AuthError,
  BatchNotSupported,
  BadSessionId,
  BatchDuplicateIds,
  BatchTooLarge,
  ForbiddenOrigin,
  InvalidCursor,
  MethodNotAllowed,
  NestedTooDeeply,
  OdooAnswerTooLarge,
  OdooRefusesService,
  OdooUnavailable,
  PayloadTooLarge,
  RateLimited,
  PromptParamsRefused,
  RequestCancelled,
  ResourceRefused,
  SidecarBusy,
  ToolResultInvalid,
  ToolResultTooLarge,
  UnknownTool,
} from './errors.js';
import { quotedString } from './http/headerText.js';

/**
 * JSON-RPC error code of a tools/call refused over a rate limit. MCP defines none; -32005 is the server-error
 * code JSON-RPC APIs commonly use for "limit exceeded" (EIP-1474). `data.retryAfter` gives the seconds to wait.
 */
export const RATE_LIMITED = -32005;

/** The realm named in every 401 challenge. */
export const AUTH_REALM = 'odoo-mcp';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  /** A JSON-RPC error response, so MCP clients can show the message; `id` is filled by the caller. */
  body: { jsonrpc: '2.0'; id: string | number | null; error: { code: number; message: string; data?: unknown } };
}

function answer(status: number, code: number, message: string, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers, body: { jsonrpc: '2.0', id: null, error: { code, message } } };
}

/**
 * The 401's `WWW-Authenticate` (RFC 6750 §3): with OAuth on, RFC 9728's, saying where the protected-resource
 * metadata is and the scope; a refused key adds `invalid_token` and why. Every value is a quoted-string made
 * safe by `quotedString`: the reason may be Odoo's message, in the user's language.
 */
export function bearerChallenge(err: AuthError): string {
  const params = err.oauth
    ? [['resource_metadata', err.oauth.resourceMetadata], ...(err.oauth.scope ? [['scope', err.oauth.scope]] : [])]
    : [['realm', AUTH_REALM]];
  if (err.reason !== 'missing') params.push(['error', 'invalid_token'], ['error_description', err.message]);
  return `Bearer ${params.map(([name, value]) => `${name}=${quotedString(value ?? '')}`).join(', ')}`;
}

/**
 * Whether a failure met before the MCP layer is the client's own mistake (no key, a foreign Origin, its own
 * share of the sidecar used up, a method /mcp does not serve): logged at info, not as the sidecar's problem.
 */
export function isClientMistake(err: unknown): boolean {
  return (
    err instanceof AuthError ||
    err instanceof ForbiddenOrigin ||
    err instanceof MethodNotAllowed ||
    (err instanceof SidecarBusy && err.scope === 'key')
  );
}

/** Maps a failure met before the MCP layer (guards, auth, identity) to the HTTP answer the client gets. */
export function httpAnswerFor(err: unknown): HttpAnswer {
  if (err instanceof AuthError) return answer(401, -32001, err.message, { 'WWW-Authenticate': bearerChallenge(err) });
  // 405, never 404 (the stateless server's GET and DELETE)
  if (err instanceof MethodNotAllowed) return answer(405, -32000, err.message, { Allow: err.allow });
  if (err instanceof ForbiddenOrigin) return answer(403, -32000, err.message);
  if (err instanceof BatchNotSupported || err instanceof BatchTooLarge || err instanceof BatchDuplicateIds || err instanceof NestedTooDeeply) {
    return answer(400, -32600, err.message);
  }
  if (err instanceof BadSessionId) return answer(400, -32600, err.message);
  if (err instanceof PayloadTooLarge) return answer(413, -32000, err.message, { Connection: 'close' });
  if (err instanceof SidecarBusy) return answer(err.scope === 'key' ? 429 : 503, -32000, err.message, { 'Retry-After': '1' });
  if (err instanceof OdooRefusesService) return answer(err.kind === 'mcp_disabled' ? 403 : 502, -32603, err.message);
  if (err instanceof OdooAnswerTooLarge) return answer(502, -32603, err.message);
  // Only the message: Odoo's URL and the raw network error stay in the sidecar's log.
  if (err instanceof OdooUnavailable) return answer(err.kind === 'timeout' ? 504 : err.kind === 'unreachable' ? 503 : 502, -32603, err.message);
  return answer(500, -32603, 'Internal error');
}

/**
 * Maps a failure inside an MCP request handler: a result that breaks its outputSchema or is too large to relay
 * becomes an `isError` result the model can read; everything else is thrown as a JSON-RPC error.
 */
export function toolResultOrThrow(err: unknown): CallToolResult {
  if (err instanceof ToolResultInvalid || err instanceof ToolResultTooLarge) {
    return { content: [{ type: 'text', text: err.message }], isError: true };
  }
  throw protocolErrorFor(err);
}

/** Maps a failure inside an MCP request handler to the JSON-RPC error sent to the client. */
export function protocolErrorFor(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  if (err instanceof InvalidCursor) return new ProtocolError(ProtocolErrorCode.InvalidParams, err.message);
  // SEP-2164: a resource that cannot be read is -32602 with the URI in `data`, whatever the reason
  if (err instanceof ResourceRefused) {
    return new ProtocolError(ProtocolErrorCode.InvalidParams, err.message, { ...(err.uri === undefined ? {} : { uri: err.uri }), reason: err.code });
  }
  if (err instanceof UnknownTool) return new ProtocolError(ProtocolErrorCode.InvalidParams, err.message, { name: err.toolName });
  if (err instanceof RateLimited) {
    return new ProtocolError(RATE_LIMITED, err.message, { reason: 'rate_limited', retryAfter: err.retryAfterSeconds, name: err.toolName });
  }
  if (err instanceof PromptParamsRefused) return new ProtocolError(ProtocolErrorCode.InvalidParams, err.message, { reason: err.code });
  if (err instanceof AuthError) return new ProtocolError(-32001, err.message);
  if (err instanceof OdooUnavailable) return new ProtocolError(ProtocolErrorCode.InternalError, err.message);
  if (err instanceof OdooRefusesService || err instanceof OdooAnswerTooLarge) return new ProtocolError(ProtocolErrorCode.InternalError, err.message);
  if (err instanceof RequestCancelled) return new ProtocolError(ProtocolErrorCode.InternalError, err.message);
  return new ProtocolError(ProtocolErrorCode.InternalError, 'Internal error');
}

const NAMED_ISSUES = 3;
const PART_MAX_CHARS = 100;

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
