// Attacks through the real stack's public port (nginx → sidecar → Odoo): what a client sends there cannot
// reach the routes only the sidecar may use, and whatever it sends to /mcp leaves its audit row in Odoo.
import assert from 'node:assert/strict';
import { rawRequest } from '../support/nginxProxy.js';
import { post } from '../support/rawMcp.js';
import { CREATE_TOOL, fixtures, SEARCH_TOOL } from './fixtures.js';
import { e2e, mcpUrl, orm } from './stack.js';

/** Audit rows whose client name is `client` (the attack tests mark their calls with a unique one). */
async function auditRows(client: string): Promise<{ outcome: string; tool: string }[]> {
  return orm(`
rows = env['llm.mcp.call'].search([('client_name', '=', ${JSON.stringify(client)})])
result([{'outcome': r.outcome, 'tool': r.tool_name} for r in rows])
`);
}

/** A 2026-07-28 tools/call through the proxy whose audit row carries `client` as the client name. */
function callAs(client: string, key: string, id: number, name: string, args: unknown) {
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: client, version: '1' } };
  return post(mcpUrl, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: meta } },
    { Authorization: `Bearer ${key}`, 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': name });
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

describe('attacks on the audit trail of the real stack', () => {
  it('leaves exactly one audit row for an unknown tool, bad arguments and a read-only key\'s write tool', async () => {
    const client = `audit-attack-${Date.now()}`;
    const unknown = await callAs(client, fixtures.admin.key, 1, 'no_such_tool', {});
    assert.equal(unknown.json.error.code, -32602, unknown.text);
    const bad = await callAs(client, fixtures.admin.key, 2, SEARCH_TOOL, { model: 'res.partner', limit: 'ten' });
    assert.equal(bad.json.result.isError, true, bad.text);
    assert.match(bad.json.result.content[0].text, /limit/);
    const write = await callAs(client, fixtures.readOnly.key, 3, CREATE_TOOL, { model: 'res.partner', values: { name: 'must not exist' } });
    assert.equal(write.json.error.code, -32602, write.text);
    const rows = await auditRows(client);
    assert.deepEqual(rows.map((r) => [r.tool, r.outcome]).sort(), [
      [CREATE_TOOL, 'denied'], ['no_such_tool', 'invalid'], [SEARCH_TOOL, 'invalid'],
    ].sort());
  });
});

describe('attacks with oversized bodies on the real stack', () => {
  it('answers an 8 MB body at /mcp with a JSON 413 from the proxy', async () => {
    const pad = 'x'.repeat(8 * 1024 * 1024);
    const res = await rawRequest(e2e.port, 'POST', '/mcp', {
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${fixtures.admin.key}`,
        'MCP-Protocol-Version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: SEARCH_TOOL, arguments: { model: pad } } }),
      paceMs: 1,
    });
    assert.equal(res.status, 413, res.text.slice(0, 200));
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.match((JSON.parse(res.text) as { error: { message: string } }).error.message, /larger than 1048576 bytes/);
  });
});
