// Cancellation across replicas (docs/contract.md, `cancel`). A call runs in Odoo, relayed by whichever sidecar
// received its tools/call; the client's cancellation may reach another replica (2025-era
// `notifications/cancelled`, its own HTTP request) or be the client closing the call's own response stream
// (2026-07-28, where that is the cancellation). Either way the sidecar that learns of it tells Odoo, with the
// caller's own key: Odoo finds the caller's call by (user, key, scope, request id), stops its database work
// and rolls it back, or, when the call has not reached Odoo yet, stops it before it runs; the relaying sidecar
// sends the client nothing for it.
//
// The scope is what a request id is unique within, so that a cancellation reaches one call and no other:
// 2025-era ids are unique per MCP session (clients start at 0 or 1), so the scope is the session the sidecar
// issued at initialize (http/session.ts) and the id's JSON type (204 and "204" are two ids); a 2026-07-28
// call, cancelled only by its own relaying replica, gets a token minted for it alone.

import { randomBytes } from 'node:crypto';
import type { Caller } from '../caller.js';
import type { Logger } from '../log.js';
import type { OdooClient } from '../odoo/client.js';

export type RequestId = string | number;

/** The scope of a 2025-era request id: its session and JSON type; none for a request without a session. */
export function sessionScope(session: string | undefined, requestId: RequestId): string | undefined {
  return session === undefined ? undefined : `session:${session}|${typeof requestId === 'number' ? 'n' : 's'}`;
}

/** The scope of one 2026-07-28 call: unique to it, known only to the replica relaying it. */
export function callScope(): string {
  return `call:${randomBytes(16).toString('base64url')}`;
}

/**
 * Tells Odoo to stop the caller's own call with this JSON-RPC id in this scope; resolves to whether Odoo found
 * it running (when it did not, Odoo keeps the cancellation a short while for a call still on its way).
 * Never rejects: a cancellation that cannot be delivered (or that Odoo refuses, over the key's budget of
 * cancellations that find nothing) is logged, and the call then runs to its end.
 */
export async function forwardCancellation(
  odoo: OdooClient,
  caller: Caller,
  requestId: RequestId,
  scope: string | undefined,
  log: Logger,
): Promise<boolean> {
  try {
    const { cancelled } = await odoo.cancelCall(caller.credentials, String(requestId), scope);
    return cancelled;
  } catch (err) {
    log.warn('cancellation not delivered to Odoo: the call runs to its end', {
      userId: caller.identity.user.id,
      keyId: caller.identity.key.id,
      error: err instanceof Error ? err.message : String(err),
    });
    return false;
  }
}
