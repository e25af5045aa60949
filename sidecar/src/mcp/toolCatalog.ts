// The tool lists Odoo computed per caller, kept under (user id, key id, fingerprint): the fingerprint from
// `identity` changes whenever Odoo's answer would, so a cached list is never stale past one identity check.

import type { Tool } from '@modelcontextprotocol/server';
import type { Caller } from '../caller.js';
import type { OdooClient } from '../odoo/client.js';
import { compileResultCheck, type ResultCheck } from './schemaChecks.js';

export interface Catalog {
  fingerprint: string;
  tools: Tool[];
  byName: Map<string, Tool>;
  /** The structured-result checker of a tool with an outputSchema, compiled on first use. */
  resultCheck(name: string): ResultCheck | undefined;
}

interface Stored {
  catalog: Catalog;
  expiresAt: number;
}

function buildCatalog(fingerprint: string, tools: Tool[]): Catalog {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const resultChecks = new Map<string, ResultCheck | undefined>();
  return {
    fingerprint,
    tools,
    byName,
    resultCheck(name) {
      if (!resultChecks.has(name)) {
        const schema = byName.get(name)?.outputSchema;
        resultChecks.set(name, schema ? compileResultCheck(schema) : undefined);
      }
      return resultChecks.get(name);
    },
  };
}

export class ToolCatalog {
  private readonly stored = new Map<string, Stored>();
  private readonly inFlight = new Map<string, Promise<Catalog>>();

  constructor(
    private readonly odoo: OdooClient,
    private readonly options: { ttlMs: number; maxEntries?: number; now?: () => number },
  ) {}

  /** The caller's tools: from memory when the fingerprint matches, else fetched from Odoo with the caller's key. */
  async forCaller(caller: Caller, signal?: AbortSignal): Promise<Catalog> {
    const { user, key, toolsFingerprint } = caller.identity;
    const cacheKey = `${user.id}:${key.id}:${toolsFingerprint}`;
    const now = (this.options.now ?? Date.now)();
    const hit = this.stored.get(cacheKey);
    if (hit && hit.expiresAt > now) return hit.catalog;
    const pending = this.inFlight.get(cacheKey);
    if (pending) return pending;
    const promise = this.fetch(caller, cacheKey, signal).finally(() => this.inFlight.delete(cacheKey));
    this.inFlight.set(cacheKey, promise);
    return promise;
  }

  private async fetch(caller: Caller, cacheKey: string, signal?: AbortSignal): Promise<Catalog> {
    const list = await this.odoo.listTools(caller.credentials, signal);
    const catalog = buildCatalog(list.fingerprint, list.tools);
    const expiresAt = (this.options.now ?? Date.now)() + this.options.ttlMs;
    const { user, key } = caller.identity;
    // Stored under the fingerprint asked for and the one answered: the answer is never older than the question.
    for (const k of new Set([cacheKey, `${user.id}:${key.id}:${list.fingerprint}`])) this.put(k, { catalog, expiresAt });
    return catalog;
  }

  private put(k: string, s: Stored): void {
    this.stored.delete(k);
    if (this.stored.size >= (this.options.maxEntries ?? 5_000)) {
      const oldest = this.stored.keys().next();
      if (!oldest.done) this.stored.delete(oldest.value);
    }
    this.stored.set(k, s);
  }
}
