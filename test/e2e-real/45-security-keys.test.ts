// Attacks of a key holder through the real proxy (docs/security.md): a key cannot read the database's
// secrets, lift its own restrictions, rewrite the tools or erase the audit, and malformed bytes are answered
// and audited like any call.
import assert from 'node:assert/strict';
import { connect, MODERN_VERSION, textOf, type McpSession } from './clients.js';
import { fixtures } from './fixtures.js';
import { mcpUrl, orm } from './stack.js';
import { modern, post } from '../support/rawMcp.js';
import { MAX_NESTING } from '../../sidecar/src/http/mcpRoute.js';

interface LimitedKey { key: string; rowId: number }

async function auditCount(): Promise<number> {
  return orm<number>("result(env['llm.mcp.call'].search_count([]))");
}

describe('a key holder attacking the server through /mcp', () => {
  let readOnly: McpSession;
  let admin: McpSession;
  let limited: LimitedKey;

  before(async () => {
    readOnly = await connect(fixtures.readOnly.key, MODERN_VERSION);
    admin = await connect(fixtures.admin.key, '2025-11-25');
    limited = await orm<LimitedKey>(`
import datetime, time
name = 'e2e two tools %d' % (time.time() * 1000)
tools = env['llm.tool'].search([('name', 'in', ('odoo_search', 'odoo_update'))])
key = env['llm.mcp.key'].with_user(env.ref('base.user_admin')).create_mcp_key(
    name, datetime.datetime.now() + datetime.timedelta(days=1), tool_ids=tools.ids)
result({'key': key, 'rowId': env['llm.mcp.key'].search([('name', '=', name)]).id})
`);
  });
  after(async () => Promise.all([readOnly?.close(), admin?.close()]));

  it("cannot read database.secret with admin's read-only key", async () => {
    const secret = await orm<string>("result(env['ir.config_parameter'].sudo().get_param('database.secret'))");
    for (const args of [
      { model: 'ir.config_parameter', domain: [['key', '=', 'database.secret']], fields: ['value'] },
      { model: 'res.users', fields: ['api_key_ids'] },
    ]) {
      const result = await readOnly.callTool('odoo_search', args);
      assert.equal(result.isError, true, textOf(result));
      assert.ok(!textOf(result).includes(secret));
    }
  });

  it('cannot clear its own tool limit', async () => {
    const session = await connect(limited.key, MODERN_VERSION);
    try {
      const result = await session.callTool('odoo_update', { model: 'llm.mcp.key', ids: [limited.rowId], values: { tool_ids: [[5, 0, 0]] } });
      assert.equal(result.isError, true, textOf(result));
      assert.deepEqual((await session.listTools()).map((t) => t.name).sort(), ['odoo_search', 'odoo_update']);
    } finally {
      await session.close();
    }
  });

  it('cannot mark a write tool read-only nor delete audit rows', async () => {
    const ids = await orm<{ tool: number; calls: number[] }>(`
result({'tool': env['llm.tool'].search([('name', '=', 'odoo_delete')]).id,
        'calls': env['llm.mcp.call'].search([], limit=3).ids})`);
    const before = await auditCount();
    const hint = await admin.callTool('odoo_update', { model: 'llm.tool', ids: [ids.tool], values: { read_only_hint: true } });
    const erase = await admin.callTool('odoo_delete', { model: 'llm.mcp.call', ids: ids.calls });
    assert.equal(hint.isError, true, textOf(hint));
    assert.equal(erase.isError, true, textOf(erase));
    assert.equal(await auditCount(), before + 2, 'both refused calls are audited, nothing was deleted');
    assert.ok((await readOnly.listTools()).every((t) => t.name !== 'odoo_delete'));
  });

  it('gets a JSON-RPC answer and one audit row for NUL, lone surrogates and deep nesting', async () => {
    const bodies: Record<string, string> = {};
    const [base, headers] = modern(fixtures.admin.key, 1, 'tools/call', { name: 'odoo_count', arguments: { model: 'res.partner' } });
    const json = JSON.stringify(base);
    bodies['NUL in the id'] = json.replace('"id":1', '"id":"a\\u0000b"');
    bodies['lone surrogate in an argument'] = json.replace('"model":"res.partner"', '"model":"res.partner","domain":[["name","=","\\ud800"]]');
    // at the sidecar's nesting limit (the message, params and arguments are three levels): Odoo reads it and
    // audits it (red team 2026-12-01: 995 levels passed the sidecar, Odoo could not parse them, no audit row)
    const deepest = MAX_NESTING - 3;
    bodies['at the nesting limit'] = json.replace('"model":"res.partner"', `"model":"res.partner","domain":${'['.repeat(deepest)}${']'.repeat(deepest)}`);
    for (const [attack, body] of Object.entries(bodies)) {
      const before = await auditCount();
      const answer = await post(mcpUrl, body, headers);
      assert.ok(answer.json?.jsonrpc === '2.0', `${attack}: ${answer.status} ${answer.text.slice(0, 200)}`);
      assert.doesNotMatch(answer.text, /Traceback|<html/i, attack);
      assert.equal(await auditCount(), before + 1, `${attack}: exactly one audit row`);
    }
  });
});
