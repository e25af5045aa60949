// MCP session ids of the 2025-era Streamable HTTP transport (2025-03-26, 2025-06-18, 2025-11-25: "A server
// using the Streamable HTTP transport MAY assign a session ID at initialization time"). The sidecar is
// stateless and keeps no sessions: it issues an unguessable id at initialize only so that the client's request
// ids, which are unique per session, name one call of one conversation when cancelled (mcp/cancellation.ts).
// Any replica accepts any id, since the id only scopes cancellations within the caller's own key; a request
// without one is served as before (its cancellations reach the key's calls without a session). DELETE, the
// session's end, is answered 405 as the spec allows ("the server does not allow clients to terminate
// sessions"): there is nothing to end.

import { randomBytes } from 'node:crypto';
import { BadSessionId } from '../errors.js';

/** Longest session id accepted: the cancellation scope built from it fits Odoo's 128 characters. */
export const MAX_SESSION_ID_CHARS = 100;
// "The session ID MUST only contain visible ASCII characters (ranging from 0x21 to 0x7E)."
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** A new session id: 128 random bits, URL-safe. */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

/** The request's session id, undefined without one; a malformed one is refused (400). */
export function sessionIdOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.length > MAX_SESSION_ID_CHARS || !VISIBLE_ASCII.test(value)) throw new BadSessionId(MAX_SESSION_ID_CHARS);
  return value;
}

/** Whether a parsed request body is a 2025-era `initialize` request (the one answer that carries a new id). */
export function isInitialize(message: unknown): boolean {
  return typeof message === 'object' && message !== null && !Array.isArray(message) && (message as { method?: unknown }).method === 'initialize';
}
