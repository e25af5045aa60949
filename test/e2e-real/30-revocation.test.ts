// Revoking a key in Odoo locks its client out within the sidecar's identity cache time (AUTH_CACHE_TTL_MS).
import assert from 'node:assert/strict';
import { connect } from './clients.js';
import { fixtures } from './fixtures.js';
import { e2e, orm } from './stack.js';

describe('key revocation', () => {
  it(`locks the client out within the configured cache time (${e2e.authCacheTtlMs} ms)`, async () => {
    // The 1.x client keeps no response cache of its own: every listTools reaches the server.
    const session = await connect(fixtures.revocable.key, '2025-11-25');
    try {
      assert.ok((await session.listTools()).length > 0);
      await orm(`
key = env['llm.mcp.key'].search([('apikey_id', '=', ${fixtures.revocable.apikeyId})]) if 'llm.mcp.key' in env else None
if key:
    key.action_revoke()
else:
    env['res.users.apikeys'].browse(${fixtures.revocable.apikeyId}).unlink()
result(env['res.users.apikeys'].search_count([('id', '=', ${fixtures.revocable.apikeyId})]))
`);
      const revokedAt = Date.now();
      let lastError: unknown;
      while (Date.now() - revokedAt < e2e.authCacheTtlMs + 2000) {
        try {
          await session.listTools();
        } catch (err) {
          lastError = err;
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      const after = Date.now() - revokedAt;
      assert.ok(lastError, `still served ${after} ms after revocation`);
      const message = lastError instanceof Error ? lastError.message : JSON.stringify(lastError);
      assert.match(message, /401|unauthori[sz]ed|rejected|revoked|invalid/i);
      console.log(`      locked out ${after} ms after revocation: ${message.slice(0, 160)}`);
    } finally {
      await session.close().catch(() => undefined);
    }
  });
});
