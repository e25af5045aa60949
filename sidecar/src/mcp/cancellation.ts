// Cancellation across replicas (docs/contract.md, `cancel`). A call runs in Odoo, relayed by whichever sidecar
// received its tools/call; the client's cancellation may reach another replica (2025-era
// `notifications/cancelled`, its own HTTP request) or be the client closing the call's own response stream
// (2026-07-28, where that is the cancellation). Either way the sidecar that learns of it tells Odoo, with the
// caller's own key: Odoo finds the caller's running call by (user, key, request id), stops its database work
// and rolls it back, and the relaying sidecar then sends the client nothing for it.

import type { Caller } from '../caller.js';
import type { Logger } from '../log.js';
import type { OdooClient } from '../odoo/client.js';

/**
 * Tells Odoo to stop the caller's own call with this JSON-RPC id; resolves to whether Odoo found it running.
 * Never rejects: a cancellation that cannot be delivered is logged, and the call then runs to its end.
 */
export async function forwardCancellation(odoo: OdooClient, caller: Caller, requestId: string | number, log: Logger): Promise<boolean> {
  try {
    const { cancelled } = await odoo.cancelCall(caller.credentials, String(requestId));
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
