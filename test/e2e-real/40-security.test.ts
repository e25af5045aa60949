// Attacks through the real stack's public port (nginx → sidecar → Odoo): what a client sends there cannot
// reach the routes only the sidecar may use, and whatever it sends to /mcp leaves its audit row in Odoo.
import assert from 'node:assert/strict';
import { rawRequest } from '../support/nginxProxy.js';
import { fixtures } from './fixtures.js';
import { e2e, orm } from './stack.js';

/** Audit rows whose client name is `client` (the attack tests mark their calls with a unique one). */
async function auditRows(client: string): Promise<{ outcome: string; tool: string }[]> {
  return orm(`
rows = env['llm.mcp.call'].search([('client_name', '=', ${JSON.stringify(client)})])
result([{'outcome': r.outcome, 'tool': r.tool_name} for r in rows])
`);
}

describe('attacks on the public port of the real stack', () => {
  it('refuses the internal contract routes on the public port', async () => {
    const forged = `forged-${Date.now()}`;
    const body = JSON.stringify({ name: 'odoo_search', arguments: { model: 'res.partner' }, client: { name: forged, version: '1' },
      request_id: 'forged', protocol_version: '1999-01-01' });
    for (const target of ['/llm_mcp/v1/call', '//llm_mcp/v1/call', '/llm_mcp/%761/call', '/web/../llm_mcp/v1/call',
      '/en/llm_mcp/v1/call', '/LLM_MCP/v1/call']) {
      const res = await rawRequest(e2e.port, 'POST', target, {
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${fixtures.admin.key}` }, body,
      });
      assert.equal(res.status, 404, `${target}: ${res.text.slice(0, 200)}`);
      assert.match(String(res.headers['content-type']), /^application\/json/, target);
      assert.equal((JSON.parse(res.text) as { error: { code: string } }).error.code, 'not_found', target);
    }
    for (const target of ['/llm_mcp/v1/identity', '/en/llm_mcp/v1/identity', '/llm_mcp/v1/tools']) {
      const res = await rawRequest(e2e.port, 'POST', target, {
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${fixtures.admin.key}` }, body: '{}',
      });
      assert.equal(res.status, 404, target);
      assert.doesNotMatch(res.text, /token|login|database/, target);
    }
    assert.deepEqual(await auditRows(forged), [], 'a client wrote its own audit row');
  });

  it('says nothing about the database on the public port', async () => {
    for (const target of ['/llm_mcp/v1/health', '/en/llm_mcp/v1/health']) {
      const res = await rawRequest(e2e.port, 'GET', target);
      assert.equal(res.status, 404, target);
      assert.ok(!res.text.includes(e2e.db), `${target} names the database: ${res.text.slice(0, 200)}`);
    }
  });
});
