// The failures the sidecar knows by kind. They are plain values with the facts a mapping needs;
// `errorMapping.ts` is the one place that turns them into HTTP answers, JSON-RPC errors or tool results.

/** The request carries no usable key, or Odoo refused it (unknown, revoked, expired, wrong scope). */
export class AuthError extends Error {
  override name = 'AuthError';
  /** Set when Odoo offers OAuth: the 401 challenge then tells the client where to sign in. */
  oauth: { resourceMetadata: string; scope: string } | null = null;
  constructor(readonly reason: 'missing' | 'malformed' | 'rejected', message: string) {
    super(message);
  }
}

/** A browser Origin or a Host header that is not on the allow-list (DNS-rebinding protection). */
export class ForbiddenOrigin extends Error {
  override name = 'ForbiddenOrigin';
  constructor(readonly header: 'Origin' | 'Host', readonly value: string) {
    super(header === 'Origin' ? `Origin ${JSON.stringify(value)} is not allowed` : `Host ${JSON.stringify(value)} is not allowed`);
  }
}

/** A method /mcp does not serve: a stateless server has no GET stream to offer and no session to delete. */
export class MethodNotAllowed extends Error {
  override name = 'MethodNotAllowed';
  constructor(readonly allow: string) {
    super('Method not allowed.');
  }
}

/** A list cursor that is not one this server gave, or was cut from a list that has changed since. */
export class InvalidCursor extends Error {
  override name = 'InvalidCursor';
}

/** A request body over MAX_BODY_BYTES. */
export class PayloadTooLarge extends Error {
  override name = 'PayloadTooLarge';
  constructor(readonly limit: number) {
    super(`The request body is larger than ${limit} bytes`);
  }
}

/** A JSON-RPC batch under a protocol version that has no batches (2025-06-18 and later). */
export class BatchNotSupported extends Error {
  override name = 'BatchNotSupported';
  constructor(readonly protocolVersion: string) {
    super(`JSON-RPC batches are not part of MCP protocol version ${protocolVersion}`);
  }
}

/**
 * A request whose arrays and objects nest deeper than the sidecar can relay: Node's JSON.stringify (and
 * Python's json in Odoo) recurse, and give up a few thousand levels down.
 */
export class NestedTooDeeply extends Error {
  override name = 'NestedTooDeeply';
  constructor(readonly limit: number) {
    super(`The request nests arrays and objects deeper than ${limit} levels`);
  }
}

/** The request does not fit in what the sidecar holds at once: its key's share (429) or the whole (503). */
export class SidecarBusy extends Error {
  override name = 'SidecarBusy';
  constructor(readonly scope: 'key' | 'sidecar') {
    super(
      scope === 'key'
        ? 'This key has too many requests in progress at the sidecar; retry when some of them have finished'
        : 'The sidecar has too many requests in progress; retry shortly',
    );
  }
}

/** A JSON-RPC batch (2025-03-26) of more messages than the sidecar serves in one HTTP request. */
/** A 2025-03-26 batch naming one request id twice: its answers could not be told apart (and one would be lost). */
export class BatchDuplicateIds extends Error {
  override name = 'BatchDuplicateIds';
  constructor(readonly id: string | number) {
    super(`A JSON-RPC batch must not hold two requests with the same id (${JSON.stringify(id)}); nothing was run`);
  }
}

/** An Mcp-Session-Id header that is not one this transport issues (visible ASCII, bounded). */
export class BadSessionId extends Error {
  override name = 'BadSessionId';
  constructor(readonly limit: number) {
    super(`Mcp-Session-Id must be 1 to ${limit} visible ASCII characters`);
  }
}

export class BatchTooLarge extends Error {
  override name = 'BatchTooLarge';
  constructor(readonly limit: number, readonly length: number) {
    super(`A JSON-RPC batch may hold at most ${limit} messages; this one holds ${length}`);
  }
}

/**
 * Odoo cannot be used right now: unreachable, too slow, answering 5xx or something not per the contract.
 * The message is for clients and names no internal address (`Odoo is unreachable (ECONNREFUSED: connection
 * refused)`); `detail` is for the sidecar's log: Odoo's URL, the route and the raw network error.
 */
export class OdooUnavailable extends Error {
  override name = 'OdooUnavailable';
  readonly detail: string;
  constructor(
    readonly odooUrl: string,
    readonly kind: 'unreachable' | 'timeout' | 'server_error' | 'bad_answer',
    reason: string,
    detail: string = reason,
  ) {
    super(`Odoo ${describe(kind)} (${reason})`);
    this.detail = `Odoo at ${odooUrl} ${describe(kind)}: ${detail}`;
  }
}

function describe(kind: OdooUnavailable['kind']): string {
  switch (kind) {
    case 'unreachable':
      return 'is unreachable';
    case 'timeout':
      return 'did not answer in time';
    case 'server_error':
      return 'answered with an error';
    case 'bad_answer':
      return 'gave an answer the sidecar cannot read';
  }
}

/**
 * Odoo answers but is not the one this sidecar was configured for (ODOO_DB), or MCP is switched off there.
 * As with OdooUnavailable, `detail` (for the log) may name what the client's message does not.
 */
export class OdooRefusesService extends Error {
  override name = 'OdooRefusesService';
  readonly detail: string;
  constructor(readonly kind: 'mcp_disabled' | 'wrong_database', message: string, detail: string = message) {
    super(message);
    this.detail = detail;
  }
}

/**
 * The refusal when Odoo at `odooUrl` serves `database` but the sidecar is configured for `odooDb` (ODOO_DB),
 * else undefined (no ODOO_DB, or the same database): the one check of /mcp's identities and of /readyz.
 */
export function wrongDatabase(odooUrl: string, database: string, odooDb: string | undefined): OdooRefusesService | undefined {
  if (!odooDb || database === odooDb) return undefined;
  return new OdooRefusesService(
    'wrong_database',
    'The sidecar reaches another Odoo database than the one it is configured for (ODOO_DB); its log says which',
    `Odoo at ${odooUrl} serves database "${database}", but ODOO_DB is "${odooDb}"`,
  );
}

/**
 * Odoo's answer was larger than ODOO_MAX_ANSWER_BYTES: the sidecar stopped reading it and dropped the
 * connection, rather than buffer and parse it whole.
 */
export class OdooAnswerTooLarge extends Error {
  override name = 'OdooAnswerTooLarge';
  readonly detail: string;
  constructor(odooUrl: string, readonly path: string, readonly status: number, readonly limit: number) {
    super(`Odoo's answer is too large: over the ${limit} bytes the sidecar accepts (ODOO_MAX_ANSWER_BYTES)`);
    this.detail = `Odoo at ${odooUrl}: ${path} answered more than ${limit} bytes (HTTP ${status}); reading stopped there`;
  }
}

/** A tool ran in Odoo, but its answer is over ODOO_MAX_ANSWER_BYTES; told to the model as a tool error. */
export class ToolResultTooLarge extends Error {
  override name = 'ToolResultTooLarge';
  constructor(readonly toolName: string, readonly limit: number) {
    super(
      `The call of ${toolName} ran in Odoo, but its result is too large to relay: Odoo's answer is over the ` +
        `${limit} bytes the sidecar accepts (ODOO_MAX_ANSWER_BYTES). Ask for less: fewer records, fewer fields, a smaller limit.`,
    );
  }
}

/** What the sidecar's log says about a failure: the internal detail where there is one, else the message. */
export function logDetail(err: unknown): string {
  if (err instanceof OdooUnavailable || err instanceof OdooRefusesService || err instanceof OdooAnswerTooLarge) return err.detail;
  return err instanceof Error ? err.message : String(err);
}

/** Odoo answered `tools/call` with 404 unknown_tool: no such tool, or one this caller may not run (Odoo does not say which). */
export class UnknownTool extends Error {
  override name = 'UnknownTool';
  constructor(readonly toolName: string) {
    super(`Unknown tool: ${toolName}`);
  }
}

/**
 * Odoo refused a `tools/call` over a rate limit of the key, its OAuth app or its user (HTTP 429
 * `rate_limited`): nothing ran; `retryAfterSeconds` says when a call would be let through again.
 */
export class RateLimited extends Error {
  override name = 'RateLimited';
  constructor(readonly toolName: string, readonly retryAfterSeconds: number, message: string) {
    super(message);
  }
}

/**
 * Odoo refused to read a resource for this caller: no such resource (or one they may not see: Odoo does not
 * say which), their rights or key forbid it, it is over a size limit, or its parameters are wrong. The
 * message is Odoo's, for a person (it names the limit of a file too large).
 */
export class ResourceRefused extends Error {
  override name = 'ResourceRefused';
  constructor(readonly uri: string | undefined, readonly code: string, message: string) {
    super(message);
  }
}

/** Odoo's structured result does not match the tool's outputSchema (an addon bug): not passed on as a success. */
export class ToolResultInvalid extends Error {
  override name = 'ToolResultInvalid';
  constructor(readonly toolName: string, readonly problems: string[]) {
    super(`Odoo returned a result for ${toolName} that does not match the tool's outputSchema: ${problems.join('; ')}`);
  }
}

/** The MCP client cancelled the request or went away; nothing is sent back. */
export class RequestCancelled extends Error {
  override name = 'RequestCancelled';
  constructor() {
    super('The request was cancelled by the client');
  }
}

/**
 * Odoo stopped a call because its caller cancelled it (docs/contract.md, `cancel`): nothing it did was kept, and
 * the client, which said it will not use the result, is sent none.
 */
export class CallCancelled extends Error {
  override name = 'CallCancelled';
  constructor(readonly tool: string) {
    super(`The call of ${tool} was cancelled by its caller; nothing it did was kept`);
  }
}

/**
 * Odoo refused the parameters of a prompts/get or completion/complete (docs/contract.md, "Prompts and
 * completions"): an unknown or hidden prompt, a missing or unknown argument, no such record. Its message,
 * written by Odoo for a person, becomes the JSON-RPC error -32602.
 */
export class PromptParamsRefused extends Error {
  override name = 'PromptParamsRefused';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
