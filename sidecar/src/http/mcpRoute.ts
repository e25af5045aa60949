// Where an authenticated HTTP request becomes MCP: the body is read once (size-capped), checked against the
// other transport limits (nesting depth, batch length), peeked at for the log line, and handed with the
// caller to the SDK's handler, which owns everything protocol from here on
// (versions, Accept/Content-Type rules, JSON parsing, batches, SSE, errors).

import type { Middleware } from 'koa';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { toNodeHandler, type NodeIncomingMessageLike } from '@modelcontextprotocol/node';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
import type { Caller, RequestFacts } from '../caller.js';
import { BatchDuplicateIds, BatchNotSupported, BatchTooLarge, NestedTooDeeply, PayloadTooLarge } from '../errors.js';
import type { Logger } from '../log.js';
import type { OAuthChallenge } from './oauthChallenge.js';
import { withRefusalStatus } from './refusalStatus.js';
import type { Reservation } from './requestBudget.js';
import { isInitialize, newSessionId, sessionIdOf } from './session.js';

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw new PayloadTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) throw new PayloadTooLarge(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

// 2025-03-26 had JSON-RPC batches; 2025-06-18 removed them. The SDK's stateless 2025 leg accepts them for
// every version (and rejects them itself for 2026-07-28), so the versions without batches are refused here.
const VERSIONS_WITHOUT_BATCHES = new Set(['2025-06-18', '2025-11-25']);
/**
 * Most messages served from one 2025-03-26 batch. The SDK takes up to 100 and runs them at once; each call
 * still waits its turn in the key's share of Odoo, but one HTTP request would hold up to 100 answers.
 */
export const MAX_BATCH_MESSAGES = 16;

/**
 * Deepest nesting of arrays and objects a request may have. Every call is relayed to Odoo, whose Python json
 * parser recurses: in an Odoo worker it fails from about 970 levels (a body Odoo cannot read leaves no audit
 * row, red team 2026-12-01: 995 levels answered -32603 and were not audited), and JSON.stringify here fails
 * some thousands down. 512 stays well inside both, so every call within it reaches Odoo's audit (Odoo itself
 * refuses arguments nested over 64 levels, audited as invalid). Like the body size, a transport limit: a
 * deeper request is refused before it is read as MCP, and reaches no audit log.
 */
export const MAX_NESTING = 512;

/** Whether arrays and objects in a JSON text nest deeper than `limit` (a byte scan that skips strings). */
function nestsDeeperThan(body: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * Notes method, JSON-RPC id and tool name for the log line, and returns the parsed message (undefined when the
 * body is not JSON): the SDK takes it as `parsedBody` instead of reading and parsing the body a second time.
 */
function peek(body: Buffer, facts: RequestFacts, protocolVersion: string | undefined): unknown {
  let message: unknown;
  try {
    message = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (Array.isArray(message)) {
    facts.mcpMethod = 'batch';
    if (protocolVersion && VERSIONS_WITHOUT_BATCHES.has(protocolVersion)) throw new BatchNotSupported(protocolVersion);
    if (message.length > MAX_BATCH_MESSAGES) throw new BatchTooLarge(MAX_BATCH_MESSAGES, message.length);
    refuseDuplicateIds(message);
    return message;
  }
  if (typeof message !== 'object' || message === null) return message;
  const { method, id, params } = message as { method?: unknown; id?: unknown; params?: { name?: unknown } };
  if (typeof method === 'string') facts.mcpMethod = method;
  if (typeof id === 'string' || typeof id === 'number') facts.rpcId = id;
  if (method === 'tools/call' && typeof params?.name === 'string') facts.tool = params.name;
  return message;
}

/**
 * Refuses a batch naming one request id twice (JSON-RPC: the id "MUST" let the client tell the answers apart;
 * the SDK would run both and answer one). 204 and "204" count as one id here: JSON-RPC tells them apart, but
 * the audit names a call by its id as text, and with both in one batch neither could be cancelled on real Odoo
 * (red team 2026-12-01). Before anything runs, so nothing is audited.
 */
function refuseDuplicateIds(batch: unknown[]): void {
  const seen = new Set<string>();
  for (const m of batch) {
    if (typeof m !== 'object' || m === null || typeof (m as { method?: unknown }).method !== 'string') continue;
    const id = (m as { id?: unknown }).id;
    if (typeof id !== 'string' && typeof id !== 'number') continue;
    const key = String(id);
    if (seen.has(key)) throw new BatchDuplicateIds(id);
    seen.add(key);
  }
}

export function mcpRoute(handler: McpHttpHandler, maxBodyBytes: number, challenge: OAuthChallenge, log: Logger): Middleware {
  const serve = toNodeHandler(withRefusalStatus(handler, challenge), {
    maxRequestBodySize: maxBodyBytes,
    onerror: (err) => log.error('MCP handler failed', { error: err.message }),
  });
  return async (ctx) => {
    const caller = ctx.state.caller as Caller;
    const body = await readBody(ctx.req, maxBodyBytes);
    // A chunked body was admitted at the largest size allowed: hold what it really is.
    (ctx.state.reservation as Reservation | undefined)?.resize(body.length);
    if (nestsDeeperThan(body, MAX_NESTING)) throw new NestedTooDeeply(MAX_NESTING);
    const parsed = peek(body, caller.facts, ctx.get('mcp-protocol-version') || undefined);
    // 2025-era sessions scope cancellations only (http/session.ts): issued at initialize, accepted anywhere
    caller.session = sessionIdOf(ctx.req.headers['mcp-session-id']);
    if (isInitialize(parsed)) ctx.res.setHeader('Mcp-Session-Id', newSessionId());
    // The SDK reads the body again from this stand-in for the request stream, which was consumed above, unless
    // it gets the message already parsed: then it classifies and serves that value, and skips cloning, reading
    // and parsing the body again (measured: most of its per-request work on tools/list). A body that is not
    // JSON goes to it as bytes, so its parse error is the SDK's own.
    const req: NodeIncomingMessageLike = Object.assign(Readable.from(parsed === undefined && body.length > 0 ? [body] : []), {
      method: ctx.req.method,
      url: ctx.req.url,
      headers: ctx.req.headers,
      // The caller rides in `extra`; `token` names the key without being it, in case a library logs AuthInfo.
      auth: { token: `odoo-key-${caller.identity.key.id}`, clientId: caller.identity.user.login, scopes: [], extra: { caller } },
    });
    // Koa must not touch the response: the SDK writes it (possibly as an SSE stream).
    ctx.respond = false;
    await serve(req, ctx.res, parsed);
    // a forwarded cancellation is part of this request: its budget and log line wait for it
    await Promise.allSettled(caller.followUps);
  };
}
