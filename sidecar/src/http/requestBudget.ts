// How much request the sidecar holds at once. A request in progress costs memory in proportion to its body
// (parsed by the SDK, kept while the call waits its turn at Odoo: several times the body's size) plus a fixed
// part; 32 bodies of 1 MiB at once exhausted 96 MB of old space. Each /mcp request reserves its body size (at
// least MIN_COST) until its response is done; the total is bounded, and one key may hold its share of it, the
// same share of the sidecar as of Odoo (ODOO_MAX_CONCURRENCY_PER_KEY / ODOO_MAX_CONCURRENCY).

import type { Middleware } from 'koa';
import type { Caller } from '../caller.js';
import { SidecarBusy } from '../errors.js';
import { keyHash } from '../odoo/client.js';

/** What a request costs at least, whatever its body: the SDK's server, transport and the request's state. */
export const MIN_COST = 16 * 1024;

export interface Reservation {
  /** Changes the reserved amount (a chunked body, once its size is known); false when it no longer fits. */
  resize(bytes: number): boolean;
  release(): void;
}

export class RequestBudget {
  private used = 0;
  private readonly byKey = new Map<string, number>();

  constructor(readonly totalBytes: number, readonly perKeyBytes: number) {}

  /** Reserves `bytes` for a request of `owner` (a key's hash), or says which bound it would pass. */
  reserve(owner: string, bytes: number): Reservation | 'key' | 'sidecar' {
    let held = Math.max(bytes, MIN_COST);
    const refusal = this.refusal(owner, held);
    if (refusal) return refusal;
    this.take(owner, held);
    let released = false;
    return {
      resize: (next) => {
        const cost = Math.max(next, MIN_COST);
        if (released || cost === held) return true;
        this.take(owner, -held);
        if (this.refusal(owner, cost)) {
          this.take(owner, held);
          return false;
        }
        this.take(owner, cost);
        held = cost;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.take(owner, -held);
      },
    };
  }

  get size(): { usedBytes: number; keys: number } {
    return { usedBytes: this.used, keys: this.byKey.size };
  }

  private refusal(owner: string, cost: number): 'key' | 'sidecar' | undefined {
    if ((this.byKey.get(owner) ?? 0) + cost > this.perKeyBytes) return 'key';
    if (this.used + cost > this.totalBytes) return 'sidecar';
    return undefined;
  }

  private take(owner: string, delta: number): void {
    this.used += delta;
    const mine = (this.byKey.get(owner) ?? 0) + delta;
    if (mine > 0) this.byKey.set(owner, mine);
    else this.byKey.delete(owner);
  }
}

/**
 * Admits an authenticated /mcp request into the budget, by its declared size (a chunked body reserves the
 * largest allowed until it is read), and releases it when the response is done. A request that does not fit is
 * answered 429 (its key's share is used) or 503 (the sidecar's), after its body is read and dropped: answering
 * while a proxy is still sending the body makes the proxy turn the answer into an error page of its own.
 */
export function admit(budget: RequestBudget, maxBodyBytes: number): Middleware {
  return async (ctx, next) => {
    const caller = ctx.state.caller as Caller;
    const declared = Number(ctx.get('content-length'));
    const bytes = Number.isFinite(declared) && ctx.get('content-length') !== '' ? Math.min(declared, maxBodyBytes) : maxBodyBytes;
    const reservation = budget.reserve(keyHash(caller.credentials.key), bytes);
    if (typeof reservation === 'string') {
      await drain(ctx.req, maxBodyBytes);
      throw new SidecarBusy(reservation);
    }
    ctx.res.once('close', () => reservation.release());
    ctx.state.reservation = reservation;
    await next();
  };
}

/** Reads and drops up to `limit` bytes of a request body, keeping nothing. */
async function drain(req: NodeJS.ReadableStream, limit: number): Promise<void> {
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return;
  }
}
