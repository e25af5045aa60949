// Odoo decides: each key acts with its owner's rights and its own restrictions, writes land in the database,
// and every call leaves an audit row.
import assert from 'node:assert/strict';
import { connect, MODERN_VERSION, textOf, type McpSession, type ToolLike } from './clients.js';
import { fixtures } from './fixtures.js';
import { orm, proxyUrl } from './stack.js';

const takesModel = (t: ToolLike) => Boolean(t.inputSchema?.properties?.model);

describe("Odoo's rights through MCP", () => {
  let admin: McpSession;
  let restricted: McpSession;
  let adminTools: ToolLike[];
  let restrictedTools: ToolLike[];

  before(async () => {
    admin = await connect(fixtures.admin.key, MODERN_VERSION);
    restricted = await connect(fixtures.restricted.key, '2025-11-25');
    adminTools = await admin.listTools();
    restrictedTools = await restricted.listTools();
  });
  after(async () => Promise.all([admin?.close(), restricted?.close()]));

  const searchTool = () => {
    const tool = restrictedTools.find((t) => t.annotations?.readOnlyHint && takesModel(t));
    assert.ok(tool, 'the restricted user has no read-only tool taking a model');
    return tool;
  };

  it('gives the restricted user fewer tools than admin, none admin lacks', () => {
    const adminNames = new Set(adminTools.map((t) => t.name));
    assert.ok(restrictedTools.every((t) => adminNames.has(t.name)));
    assert.ok(restrictedTools.length < adminTools.length,
      `same tools for both: ${adminTools.map((t) => t.name).join(', ')}`);
  });

  it('shows admin the sales orders and refuses them to the user without Sales rights', async () => {
    const tool = searchTool();
    const forAdmin = await admin.callTool(tool.name, { model: 'sale.order' });
    assert.equal(forAdmin.isError, false, textOf(forAdmin));
    assert.match(textOf(forAdmin), /S0000\d/);
    const forRestricted = await restricted.callTool(tool.name, { model: 'sale.order' });
    assert.equal(forRestricted.isError, true, textOf(forRestricted));
    assert.match(textOf(forRestricted), /not allowed|access/i);
    assert.doesNotMatch(textOf(forRestricted), /Traceback|S0000\d/);
  });

  it('lets both see the contacts', async () => {
    const result = await restricted.callTool(searchTool().name, { model: 'res.partner' });
    assert.equal(result.isError, false, textOf(result));
    assert.match(textOf(result), /Azure Interior|Deco Addict|Gemini Furniture/);
  });

  it('leaves a record and exactly one audit row for a write', async () => {
    const create = adminTools.find((t) => !t.annotations?.readOnlyHint && takesModel(t) && /create/.test(t.name));
    assert.ok(create, `no create tool among ${adminTools.map((t) => t.name).join(', ')}`);
    const name = `E2E partner ${Date.now()}`;
    const result = await admin.callTool(create.name, { model: 'res.partner', values: { name } });
    assert.equal(result.isError, false, textOf(result));
    const check = await orm<{ partners: number; audit: { outcome: string; tool: string; user: number }[] }>(`
partners = env['res.partner'].search_count([('name', '=', ${JSON.stringify(name)})])
rows = env['llm.mcp.call'].search([('arguments', 'like', ${JSON.stringify(name)})])
result({'partners': partners, 'audit': [{'outcome': r.outcome, 'tool': r.tool_name, 'user': r.user_id.id} for r in rows]})
`);
    assert.equal(check.partners, 1);
    assert.deepEqual(check.audit, [{ outcome: 'ok', tool: create.name, user: fixtures.adminId }]);
  });

  it('offers a read-only key only read-only tools, and refuses it on /jsonrpc', async () => {
    const session = await connect(fixtures.readOnly.key, MODERN_VERSION);
    try {
      const tools = await session.listTools();
      assert.ok(tools.length > 0);
      assert.ok(tools.every((t) => t.annotations?.readOnlyHint === true), tools.map((t) => t.name).join(', '));
    } finally {
      await session.close();
    }
    if (fixtures.readOnly.scope !== 'mcp') return; // a global key (no addon key model) is meant for /jsonrpc
    const res = await fetch(`${proxyUrl}/jsonrpc`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service: 'object', method: 'execute_kw',
        args: [process.env.E2E_DB ?? 'llm_mcp_e2e', fixtures.adminId, fixtures.readOnly.key, 'res.partner', 'create',
          [{ name: 'must not exist' }]] } }),
    });
    const body = (await res.json()) as { result?: unknown; error?: unknown };
    assert.equal(body.result, undefined);
    assert.ok(body.error, 'an MCP key was accepted by /jsonrpc');
  });
});
