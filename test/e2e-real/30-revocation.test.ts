// Revoking a key in Odoo locks its client out within the sidecar's identity cache time (AUTH_CACHE_TTL_MS).
import assert from 'node:assert/strict';
import { connect } from './clients.js';
import { fixtures } from './fixtures.js';
import { e2e, mcpUrl, orm } from './stack.js';
import { modern, post } from '../support/rawMcp.js';

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

  it('answers the first 2026-07-28 call after its key was deleted with HTTP 401 and the challenge; nothing ran', async () => {
    const made = await orm<{ key: string; stamp: string }>(`
import datetime, time
stamp = '%d' % (time.time() * 1000)
expiry = datetime.datetime.now() + datetime.timedelta(days=1)
result({'key': env['llm.mcp.key'].with_user(env.ref('base.user_admin')).create_mcp_key('e2e deleted ' + stamp, expiry),
        'stamp': stamp})
`);
    const create = (id: number) => modern(made.key, id, 'tools/call',
      { name: 'odoo_create', arguments: { model: 'res.partner', values: { name: `e2e deleted ${made.stamp} ${id}` } } });
    assert.equal((await post(mcpUrl, ...create(1))).json?.result?.isError, false); // the identity is now cached
    await orm(`env['llm.mcp.key'].search([('name', '=', 'e2e deleted ${made.stamp}')]).apikey_id.unlink()\nresult(1)`);
    const refused = await post(mcpUrl, ...create(2));
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.json?.error?.code, -32001);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
    const made2 = await orm<number>(`result(env['res.partner'].search_count([('name', '=like', 'e2e deleted ${made.stamp} %')]))`);
    assert.equal(made2, 1, 'only the call made before the deletion created a contact');
    assert.equal((await post(mcpUrl, ...create(3))).status, 401, 'then refused at authentication');
  });
});
