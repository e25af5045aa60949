// What a 401 at /mcp tells a client about signing in: Odoo's OAuth hint from its health answer (docs/contract.md,
// OAuth), asked at most once a minute. Without it (OAuth off, Odoo unreachable) the challenge is the plain one.

import type { OdooClient } from '../odoo/client.js';
import type { OAuthHint } from '../odoo/contract.js';

const FRESH_MS = 60_000;
const RETRY_MS = 5_000;

export class OAuthChallenge {
  private hint: OAuthHint | null = null;
  private until = 0;
  private pending: Promise<OAuthHint | null> | undefined;

  constructor(private readonly odoo: Pick<OdooClient, 'health'>, private readonly now: () => number = Date.now) {}

  /** The current hint, or null; never throws (a 401 must not turn into a 5xx because Odoo is away). */
  async current(): Promise<OAuthHint | null> {
    if (this.now() < this.until) return this.hint;
    this.pending ??= this.odoo
      .health()
      .then((health) => {
        this.hint = health.oauth;
        this.until = this.now() + FRESH_MS;
        return this.hint;
      })
      .catch(() => {
        this.until = this.now() + RETRY_MS;
        return this.hint;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
