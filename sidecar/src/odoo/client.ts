// The client of docs/contract.md: the only code that talks to Odoo. Every request carries the MCP
// caller's own key (and, when known, the fast-path token); the key goes to the configured URL only.

import { createHash } from 'node:crypto';
import type { CompleteResult, GetPromptResult } from '@modelcontextprotocol/server';
import {
  AuthError,
  CallCancelled,
  OdooAnswerTooLarge,
  OdooRefusesService,
  OdooUnavailable,
  RateLimited,
  PromptParamsRefused,
  RequestCancelled,
  ResourceRefused,
  ToolResultTooLarge,
  UnknownTool,
} from '../errors.js';
import {
  ContractViolation,
  readCallResult,
  readCancelAnswer,
  readCompletion,
  readErrorBody,
  readHealth,
  readIdentity,
  readResourceContents,
  readResourceList,
  readResourceTemplates,
  readPromptPage,
  readPromptResult,
  readToolList,
  type CancelAnswer,
  type CompletionRequest,
  type Health,
  type Identity,
  type OdooCallResult,
  type PromptPage,
  type PromptRequest,
  type ToolCall,
  type ToolList,
  type ResourceContentsEntry,
  type ResourceList,
  type ResourceRead,
  type ResourceTemplateEntry,
} from './contract.js';
import { AnswerOverLimit, exchange, type Exchange } from './exchange.js';
import { FairSlots } from './fairSlots.js';
import { RunningCalls } from './runningCalls.js';

/** What authenticates one request to Odoo: the caller's key, plus the fast-path token when one is held. */
export interface Credentials {
  key: string;
  token?: string | undefined;
}

/**
 * Whose turn a tool call waits for (odoo/runningCalls.ts): its user's, under the cap of calls running at once
 * that Odoo named in the identity (0: none).
 */
export interface UserTurn {
  userId: number;
  cap: number;
}

/** The hash a key is known by inside the sidecar (caches, its share of Odoo, logs of cache events). */
export function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface OdooClientOptions {
  baseUrl: string;
  /** Where cancellations go (default baseUrl): Odoo's gevent port, free while every HTTP worker is busy. */
  cancelUrl?: string;
  /** For health, identity and tools. */
  timeoutMs: number;
  /** For one tool call. */
  toolCallTimeoutMs: number;
  /**
   * Most authenticated requests open at Odoo at once. Odoo gives each request a database connection from a
   * fixed pool (64 by default) and answers "Connection Pool Is Full" beyond it, so a burst of MCP clients is
   * queued here instead; a request's timeout includes its time in the queue. Health checks bypass it, so
   * readiness stays truthful under load.
   */
  maxConcurrency: number;
  /**
   * Most of those one key may hold; its further requests wait in its own queue while other keys' requests
   * take the free slots in turn (FairSlots), so one key's flood does not starve everyone else.
   */
  maxConcurrencyPerKey: number;
  /** Largest answer read from Odoo (ODOO_MAX_ANSWER_BYTES); a bigger one is cut off while it streams in. */
  maxAnswerBytes: number;
}

export class OdooClient {
  private readonly slots: FairSlots;
  /** Tool calls held to their user's cap of calls running at once, on this replica. */
  private readonly runningCalls = new RunningCalls();

  constructor(private readonly options: OdooClientOptions) {
    this.slots = new FairSlots(options.maxConcurrency, Math.min(options.maxConcurrencyPerKey, options.maxConcurrency));
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** Odoo's readiness answer (no auth). */
  async health(signal?: AbortSignal): Promise<Health> {
    return this.request('GET', '/llm_mcp/v1/health', undefined, undefined, this.options.timeoutMs, signal, readHealth);
  }

  /** Who owns this key (throws AuthError when Odoo refuses it). */
  async identity(credentials: Credentials, signal?: AbortSignal): Promise<Identity> {
    return this.request('POST', '/llm_mcp/v1/identity', credentials, {}, this.options.timeoutMs, signal, readIdentity);
  }

  /** The caller's tools, as Odoo computes them for that user and key. */
  async listTools(credentials: Credentials, signal?: AbortSignal): Promise<ToolList> {
    return this.request('POST', '/llm_mcp/v1/tools', credentials, {}, this.options.timeoutMs, signal, readToolList);
  }

  /**
   * Runs one tool as the caller; `signal` aborts the HTTP request to Odoo (cancellation, disconnect). With `turn`,
   * the call first waits while its user runs their cap of calls at once through this replica; the wait counts
   * against the call's own timeout.
   */
  async callTool(credentials: Credentials, call: ToolCall, signal?: AbortSignal, turn?: UserTurn): Promise<OdooCallResult> {
    const body = {
      name: call.name,
      arguments: call.arguments,
      ...(call.client ? { client: call.client } : {}),
      ...(call.requestId === undefined ? {} : { request_id: call.requestId }),
      ...(call.cancelScope === undefined ? {} : { cancel_scope: call.cancelScope }),
      ...(call.protocolVersion ? { protocol_version: call.protocolVersion } : {}),
      ...(call.confirmation ? { confirmation: call.confirmation } : {}),
      ...(call.confirmWith ? { confirm_with: call.confirmWith } : {}),
    };
    try {
      return await this.request('POST', '/llm_mcp/v1/call', credentials, body, this.options.toolCallTimeoutMs, signal, readCallResult,
        false, this.options.baseUrl, turn);
    } catch (err) {
      if (err instanceof UnknownToolAnswer) throw new UnknownTool(call.name);
      if (err instanceof CancelledAnswer) throw new CallCancelled(call.name);
      if (err instanceof RateLimitedAnswer) throw new RateLimited(call.name, err.retryAfterSeconds, err.message);
      // HTTP 200: Odoo ran the call (and audited it); the model must hear it ran, and that the result is lost.
      if (err instanceof OdooAnswerTooLarge && err.status === 200) throw new ToolResultTooLarge(call.name, err.limit);
      throw err;
    }
  }

  /**
   * Asks Odoo to stop the caller's own running call with this JSON-RPC id, whichever Odoo worker runs it and
   * whichever sidecar relayed it (docs/contract.md, `cancel`), by its request id and cancellation scope;
   * answers whether one was running.
   */
  async cancelCall(credentials: Credentials, requestId: string, scope?: string, signal?: AbortSignal): Promise<CancelAnswer> {
    const body = { request_id: requestId, ...(scope === undefined ? {} : { cancel_scope: scope }) };
    return this.request('POST', '/llm_mcp/v1/cancel', credentials, body, this.options.timeoutMs, signal, readCancelAnswer,
      false, this.options.cancelUrl);
  }

  // -- Resources (docs/contract.md, Resources) ------------------------------------------------------------

  /** A page of the resources Odoo lists for the caller; `cursor` is Odoo's own, passed back as it came. */
  async listResources(credentials: Credentials, cursor: string | undefined, signal?: AbortSignal): Promise<ResourceList> {
    const body = cursor === undefined ? {} : { cursor };
    return this.refusable(undefined, () =>
      this.request('POST', '/llm_mcp/v1/resources', credentials, body, this.options.timeoutMs, signal, readResourceList, true),
    );
  }

  /** The resource templates the caller may read through. */
  async listResourceTemplates(credentials: Credentials, signal?: AbortSignal): Promise<ResourceTemplateEntry[]> {
    return this.request('POST', '/llm_mcp/v1/resource_templates', credentials, {}, this.options.timeoutMs, signal, readResourceTemplates);
  }

  /** One resource read as the caller (audited by Odoo); a refusal throws ResourceRefused with Odoo's message. */
  async readResource(credentials: Credentials, read: ResourceRead, signal?: AbortSignal): Promise<ResourceContentsEntry[]> {
    const body = {
      uri: read.uri,
      ...(read.client ? { client: read.client } : {}),
      ...(read.requestId === undefined ? {} : { request_id: read.requestId }),
      ...(read.protocolVersion ? { protocol_version: read.protocolVersion } : {}),
    };
    // a report is rendered while Odoo answers: it gets the time of a tool call
    return this.refusable(read.uri, () =>
      this.request('POST', '/llm_mcp/v1/resource', credentials, body, this.options.toolCallTimeoutMs, signal, readResourceContents, true),
    );
  }

  /** Runs `send`, turning Odoo's refusal of a resource request (a 4xx with a contract error) into ResourceRefused. */
  private async refusable<T>(uri: string | undefined, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      if (err instanceof RefusalAnswer) throw new ResourceRefused(uri, err.code, err.message);
      // one report at a time per user (a 429 of the resource route): a refusal the model reads, as any other
      if (err instanceof RateLimitedAnswer) throw new ResourceRefused(uri, 'rate_limited', err.message);
      throw err;
    }
  }

  /** One page of the prompts this caller may use (docs/contract.md, "Prompts and completions"). */
  async listPrompts(credentials: Credentials, cursor: string | undefined, signal?: AbortSignal): Promise<PromptPage> {
    const body = cursor === undefined ? {} : { cursor };
    return this.request('POST', '/llm_mcp/v1/prompts', credentials, body, this.options.timeoutMs, signal, readPromptPage);
  }

  /** A prompt filled by Odoo as the caller; PromptParamsRefused when Odoo refuses the name or arguments. */
  async getPrompt(credentials: Credentials, prompt: PromptRequest, signal?: AbortSignal): Promise<GetPromptResult> {
    const body = {
      name: prompt.name,
      arguments: prompt.arguments,
      ...(prompt.client ? { client: prompt.client } : {}),
      ...(prompt.requestId === undefined ? {} : { request_id: prompt.requestId }),
      ...(prompt.protocolVersion ? { protocol_version: prompt.protocolVersion } : {}),
    };
    return this.request('POST', '/llm_mcp/v1/prompt', credentials, body, this.options.toolCallTimeoutMs, signal, readPromptResult);
  }

  /** Completion values for a prompt argument or a resource-template variable, as Odoo finds them for the caller. */
  async complete(credentials: Credentials, request: CompletionRequest, signal?: AbortSignal): Promise<CompleteResult> {
    return this.request('POST', '/llm_mcp/v1/complete', credentials, request, this.options.timeoutMs, signal, readCompletion);
  }

  private async request<T>(
    method: 'GET' | 'POST',
    path: string,
    credentials: Credentials | undefined,
    body: unknown,
    timeoutMs: number,
    callerSignal: AbortSignal | undefined,
    read: (v: unknown) => T,
    /** Resource requests: a 4xx with a contract error (after 401, 403 mcp_disabled) is a refusal, not trouble. */
    refusals = false,
    /** Another configured Odoo address for this request (cancellations: ODOO_CANCEL_URL). */
    baseUrl = this.options.baseUrl,
    /** Tool calls: the user's turn under their cap of calls running at once, waited for before a slot. */
    turn?: UserTurn,
  ): Promise<T> {
    const url = new URL(baseUrl + path);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (credentials) {
      headers.Authorization = `Bearer ${credentials.key}`;
      if (credentials.token) headers['X-LLM-MCP-Token'] = credentials.token;
    }
    // Encoded once the request has its slot: a request waiting its turn keeps no second copy of its body.
    const send = (): Promise<Exchange> =>
      exchange(url, method, headers, body === undefined ? undefined : JSON.stringify(body), signal, this.options.maxAnswerBytes);
    // A request whose signal aborts while it waits for a slot leaves the queue and is never sent.
    const relay = (): Promise<Exchange> => (credentials ? this.slots.run(keyHash(credentials.key), send, signal) : send());
    // A call waiting for its user's turn takes no slot of its key's share meanwhile.
    let hadTurn = turn === undefined;
    const takeTurn = (): Promise<Exchange> => {
      hadTurn = true;
      return relay();
    };
    let status: number;
    let text: string;
    try {
      ({ status, text } = await (turn
        ? this.runningCalls.run(turn.userId, turn.cap, takeTurn, signal)
        : relay()));
    } catch (err) {
      if (err instanceof AnswerOverLimit) throw new OdooAnswerTooLarge(this.baseUrl, path, err.status, err.limit);
      if (callerSignal?.aborted) throw new RequestCancelled();
      if (!hadTurn && timeout.aborted) {
        throw new OdooUnavailable(this.baseUrl, 'timeout', `no answer within ${timeoutMs} ms`,
          `${path}: still waiting after ${timeoutMs} ms for one of the user's ${turn!.cap} calls running at once to end`);
      }
      if (timeout.aborted) throw new OdooUnavailable(this.baseUrl, 'timeout', `no answer within ${timeoutMs} ms`, `no answer from ${path} within ${timeoutMs} ms`);
      throw new OdooUnavailable(this.baseUrl, 'unreachable', publicNetworkReason(err), `${path}: ${networkReason(err)}`);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (status === 200) {
      if (json === undefined) throw new OdooUnavailable(this.baseUrl, 'bad_answer', 'not JSON', `${path} did not answer JSON`);
      try {
        return read(json);
      } catch (err) {
        if (err instanceof ContractViolation) {
          throw new OdooUnavailable(this.baseUrl, 'bad_answer', err.message, `${path}: ${err.message}`);
        }
        throw err;
      }
    }
    const error = readErrorBody(json);
    if (status >= 300 && status < 400) {
      const reason = `redirected (HTTP ${status}) — does Odoo serve exactly one database to these routes (-d DB)?`;
      throw new OdooUnavailable(this.baseUrl, 'bad_answer', reason, `${path} ${reason}`);
    }
    if (status === 401) throw new AuthError('rejected', error?.message ?? 'Odoo refused the API key');
    if (status === 403 && error?.code === 'mcp_disabled') throw new OdooRefusesService('mcp_disabled', error.message);
    if (status === 404 && error?.code === 'unknown_tool') throw new UnknownToolAnswer();
    if (status === 409 && error?.code === 'cancelled') throw new CancelledAnswer();
    if (status === 429 && error?.code === 'rate_limited') throw new RateLimitedAnswer(error.retryAfter ?? 1, error.message);
    if (error && PROMPT_PARAMS_CODES.has(error.code) && (status === 400 || status === 404)) {
      throw new PromptParamsRefused(error.code, error.message);
    }
    if (status === 404 && !error) {
      // Odoo answers its database routes with a bare 404 when it cannot open the database (PostgreSQL down or
      // restarting: it falls back to serving no database) as well as when the addon is not installed.
      const reason = 'route not found (HTTP 404): Odoo cannot reach its database now, or llm_mcp_server is not installed';
      throw new OdooUnavailable(this.baseUrl, 'bad_answer', reason, `${path} ${reason}`);
    }
    if (refusals && error && status >= 400 && status < 500) throw new RefusalAnswer(error.code, error.message);
    if (error) {
      const reason = `HTTP ${status} ${error.code}: ${error.message}`;
      throw new OdooUnavailable(this.baseUrl, 'server_error', reason, `${path}: ${reason}`);
    }
    throw new OdooUnavailable(this.baseUrl, status >= 500 ? 'server_error' : 'bad_answer', `HTTP ${status}`, `${path}: HTTP ${status}`);
  }
}

/** Internal marker: a 4xx refusal of a resource request, turned into ResourceRefused (with the URI) by `refusable`. */
class RefusalAnswer extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Refusals of a prompt's or a completion's parameters, which the client hears as -32602 with Odoo's message. */
const PROMPT_PARAMS_CODES = new Set(['unknown_prompt', 'invalid_arguments', 'unknown_reference']);

/** Internal marker: Odoo's 404 `unknown_tool`, turned into UnknownTool with the tool name by callTool. */
class UnknownToolAnswer extends Error {}

/** Internal marker: Odoo's 409 `cancelled` (the caller cancelled the call), turned into CallCancelled by callTool. */
class CancelledAnswer extends Error {}

/** Internal marker: Odoo's 429 `rate_limited`, turned into RateLimited with the tool name by callTool. */
class RateLimitedAnswer extends Error {
  constructor(readonly retryAfterSeconds: number, message: string) {
    super(message);
  }
}

/** The network error as Node reports it, addresses included: for the sidecar's log. */
function networkReason(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && err instanceof Error) return `${code} (${err.message})`;
  return err instanceof Error ? err.message : String(err);
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/**
 * The network error for a client: Node's error code and what it means, never its message, which names the
 * address and port (`connect ECONNREFUSED 127.0.0.1:18069`) or the host name (TLS errors).
 */
function publicNetworkReason(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !/^[A-Z0-9_]+$/.test(code)) return 'network error';
  const meaning = NETWORK_ERRORS[code];
  return meaning ? `${code}: ${meaning}` : code;
}
