// Remembers who a key belongs to for a short time, so a burst of MCP requests costs one identity check.
// Entries are keyed by the SHA-256 of the key: the key itself is never kept. A refused key is remembered
// for less time (AUTH_NEGATIVE_TTL_MS), so a mistyped key does not hammer Odoo but a fixed one works soon.
// Refusals are kept apart from trusted identities, each bounded in entries (oldest out first): a flood of
// made-up keys can neither grow the sidecar's memory nor push trusted keys out into fresh checks.

import { AuthError } from '../errors.js';
import { keyHash } from '../odoo/client.js';
import type { Identity } from '../odoo/contract.js';

export type IdentityLookup = (key: string, token: string | undefined) => Promise<Identity>;

interface Trusted {
  expiresAt: number;
  identity: Identity;
}

interface Refused {
  expiresAt: number;
  /** Odoo's reason; the AuthError is made again on each hit (an Error per entry would keep its stack). */
  message: string;
}

export interface IdentityCacheOptions {
  ttlMs: number;
  negativeTtlMs: number;
  /** Most trusted identities kept (default 10 000). */
  maxEntries?: number;
  /** Most refused keys remembered (default 10 000). */
  maxRefusals?: number;
  now?: () => number;
}

/** Sets `key` in a map bounded to `max` entries, dropping the oldest when full. */
function putBounded<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

export class IdentityCache {
  private readonly entries = new Map<string, Trusted>();
  private readonly refusals = new Map<string, Refused>();
  private readonly inFlight = new Map<string, Promise<Identity>>();
  private readonly now: () => number;
  private readonly maxEntries: number;
  private readonly maxRefusals: number;

  constructor(private readonly lookup: IdentityLookup, private readonly options: IdentityCacheOptions) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxRefusals = options.maxRefusals ?? 10_000;
  }

  /** The identity of `key`, from memory while fresh, else from Odoo; throws AuthError for a refused key. */
  async resolve(key: string): Promise<Identity> {
    const hash = keyHash(key);
    const now = this.now();
    const refused = this.refusals.get(hash);
    if (refused && refused.expiresAt > now) throw new AuthError('rejected', refused.message);
    const entry = this.entries.get(hash);
    if (entry && entry.expiresAt > now) return entry.identity;
    const pending = this.inFlight.get(hash);
    if (pending) return pending;
    // A still-valid token from the previous answer makes the re-check cheap for Odoo.
    const previous = entry?.identity;
    const token = previous?.token && (previous.tokenExpiresAt ?? 0) > now ? previous.token : undefined;
    const promise = this.fetch(hash, key, token).finally(() => this.inFlight.delete(hash));
    this.inFlight.set(hash, promise);
    return promise;
  }

  /** Drops what is known about `key` (e.g. Odoo refused it on a later call). */
  forget(key: string): void {
    this.entries.delete(keyHash(key));
  }

  /** Keys remembered, trusted and refused. */
  get size(): number {
    return this.entries.size + this.refusals.size;
  }

  private async fetch(hash: string, key: string, token: string | undefined): Promise<Identity> {
    try {
      const identity = await this.lookup(key, token);
      this.refusals.delete(hash);
      putBounded(this.entries, hash, { identity, expiresAt: this.now() + this.options.ttlMs }, this.maxEntries);
      return identity;
    } catch (err) {
      this.entries.delete(hash); // refused, or Odoo down or confused: a trusted identity is not kept on
      if (err instanceof AuthError) {
        putBounded(this.refusals, hash, { message: err.message, expiresAt: this.now() + this.options.negativeTtlMs }, this.maxRefusals);
      }
      throw err;
    }
  }
}
