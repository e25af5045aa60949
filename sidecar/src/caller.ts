// The authenticated party of one HTTP request, handed from the auth middleware to the MCP layer.
// It lives only as long as the request: the key is needed to relay the call to Odoo and is kept nowhere else.

import type { AuthError } from './errors.js';
import type { Identity } from './odoo/contract.js';
import type { Credentials } from './odoo/client.js';

/** Facts about one request that end up in its log line; filled by whichever layer learns them. */
export interface RequestFacts {
  mcpMethod?: string;
  rpcId?: string | number | null;
  tool?: string;
  userId?: number;
  keyId?: number;
  outcome?: string;
  /** Set when Odoo refused the request's tools/call over a rate limit: seconds until a call would pass. */
  retryAfterSeconds?: number;
  /** Set when Odoo refused the key the identity cache still held (http/refusalStatus.ts: the answer's 401). */
  keyRefused?: AuthError;
  /** A failure the sidecar's administrator should see (Odoo in trouble), with its internal detail. */
  error?: string;
}

export interface Caller {
  identity: Identity;
  credentials: Credentials;
  facts: RequestFacts;
  /** The request's 2025-era MCP session id (http/session.ts), which scopes its cancellations; none without. */
  session?: string;
  /**
   * Work the request still does after its answer may have gone (a cancellation forwarded to Odoo, after the
   * `202` of its notification): the request ends, and releases what it holds, only once these settle.
   */
  followUps: Promise<unknown>[];
}
