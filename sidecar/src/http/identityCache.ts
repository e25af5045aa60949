// Remembers who a key belongs to for a short time, so a burst of MCP requests costs one identity check.
// Entries are keyed by the SHA-256 of the key: the key itself is never kept. A refused key is remembered
// for less time (AUTH_NEGATIVE_TTL_MS), so a mistyped key does not hammer Odoo but a fixed one works soon.

import { AuthError } from '../errors.js';
import { keyHash } from '../odoo/client.js';
import type { Identity } from '../odoo/contract.js';

export type IdentityLookup = (key: string, token: string | undefined) => Promise<Identity>;

interface Entry {
  expiresAt: number;
  identity?: Identity;
  refusal?: AuthError;
}

export interface IdentityCacheOptions {
  ttlMs: number;
  negativeTtlMs: number;
  maxEntries?: number;
  now?: () => number;
}


export class IdentityCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Identity>>();
  private readonly now: () => number;
  private readonly maxEntries: number;
  lookups = 0;

  constructor(private readonly lookup: IdentityLookup, private readonly options: IdentityCacheOptions) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** The identity of `key`, from memory while fresh, else from Odoo; throws AuthError for a refused key. */
  async resolve(key: string): Promise<Identity> {
    const hash = keyHash(key);
    const entry = this.entries.get(hash);
    const now = this.now();
    if (entry && entry.expiresAt > now) {
      if (entry.refusal) throw entry.refusal;
      if (entry.identity) return entry.identity;
    }
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

  get size(): number {
    return this.entries.size;
  }

  private async fetch(hash: string, key: string, token: string | undefined): Promise<Identity> {
    this.lookups += 1;
    try {
      const identity = await this.lookup(key, token);
      this.store(hash, { identity, expiresAt: this.now() + this.options.ttlMs });
      return identity;
    } catch (err) {
      if (err instanceof AuthError) this.store(hash, { refusal: err, expiresAt: this.now() + this.options.negativeTtlMs });
      else this.entries.delete(hash); // Odoo down or confused: ask again next time, remember nothing.
      throw err;
    }
  }

  private store(hash: string, entry: Entry): void {
    this.entries.delete(hash);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, entry);
  }
}
