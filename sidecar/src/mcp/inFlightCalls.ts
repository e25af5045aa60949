// Tool calls this replica relays now, so a `notifications/cancelled` that reaches this replica (as its own HTTP
// request, handled by a different stateless server instance) stops waiting for one at once. Stopping the call
// itself is Odoo's (mcp/cancellation.ts), whichever replica relays it. Request ids are only unique per session,
// so entries are scoped to the caller's user, key and cancellation scope (session and id type).

import type { RequestId } from './cancellation.js';

export class InFlightCalls {
  private readonly calls = new Map<string, AbortController>();

  private static keyOf(userId: number, keyId: number, scope: string | undefined, requestId: RequestId): string {
    return JSON.stringify([userId, keyId, scope ?? null, requestId]);
  }

  /** Registers a call; the returned signal aborts on cancellation; `done` must be called when it ends. */
  track(userId: number, keyId: number, scope: string | undefined, requestId: RequestId): { signal: AbortSignal; done: () => void } {
    const key = InFlightCalls.keyOf(userId, keyId, scope, requestId);
    const controller = new AbortController();
    this.calls.set(key, controller);
    return {
      signal: controller.signal,
      done: () => {
        if (this.calls.get(key) === controller) this.calls.delete(key);
      },
    };
  }

  /** Aborts the caller's call with this scope and request id, if it is still running; says whether one was found. */
  cancel(userId: number, keyId: number, scope: string | undefined, requestId: RequestId): boolean {
    const controller = this.calls.get(InFlightCalls.keyOf(userId, keyId, scope, requestId));
    if (!controller) return false;
    controller.abort();
    return true;
  }
}
