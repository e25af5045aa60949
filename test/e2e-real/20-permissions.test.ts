// Odoo decides: each key acts with its owner's rights and its own restrictions, writes land in the database,
// and every call leaves an audit row.
import assert from 'node:assert/strict';
import { connect, MODERN_VERSION, textOf, type McpSession, type ToolLike } from './clients.js';
import { CREATE_TOOL, DEMO_COMPANIES, DEMO_COMPANY_NAMES, fixtures, SALES_ONLY_TOOL, SEARCH_TOOL } from './fixtures.js';
import { e2e, orm, proxyUrl } from './stack.js';

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

  it('lists a Sales-only tool to admin but not to the user without Sales rights', async () => {
    const adminNames = adminTools.map((t) => t.name);
    const restrictedNames = restrictedTools.map((t) => t.name);
    assert.ok(adminNames.includes(SALES_ONLY_TOOL), adminNames.join(', '));
    assert.ok(!restrictedNames.includes(SALES_ONLY_TOOL), restrictedNames.join(', '));
    assert.deepEqual(restrictedNames, adminNames.filter((n) => n !== SALES_ONLY_TOOL));
    await assert.rejects(restricted.callTool(SALES_ONLY_TOOL, { model: 'res.partner', method: 'read' }),
      /Unknown tool|not found|odoo_call_method/i);
  });

  it('shows admin the sales orders and refuses them to the user without Sales rights', async () => {
    const forAdmin = await admin.callTool(SEARCH_TOOL, { model: 'sale.order' });
    assert.equal(forAdmin.isError, false, textOf(forAdmin));
    assert.match(textOf(forAdmin), /S0000\d/);
    const forRestricted = await restricted.callTool(SEARCH_TOOL, { model: 'sale.order' });
    assert.equal(forRestricted.isError, true, textOf(forRestricted));
    assert.match(textOf(forRestricted), /not allowed|access/i);
    assert.doesNotMatch(textOf(forRestricted), /Traceback|S0000\d/);
  });

  it('lets both see the contacts', async () => {
    const result = await restricted.callTool(SEARCH_TOOL, DEMO_COMPANIES);
    assert.equal(result.isError, false, textOf(result));
    assert.match(textOf(result), DEMO_COMPANY_NAMES);
  });

  it('leaves a record and exactly one audit row for a write', async () => {
    const name = `E2E partner ${Date.now()}`;
    const result = await admin.callTool(CREATE_TOOL, { model: 'res.partner', values: { name } });
    assert.equal(result.isError, false, textOf(result));
    const check = await orm<{ partners: number; audit: { outcome: string; tool: string; user: number }[] }>(`
partners = env['res.partner'].search_count([('name', '=', ${JSON.stringify(name)})])
rows = env['llm.mcp.call'].search([('arguments', 'like', ${JSON.stringify(name)})])
result({'partners': partners, 'audit': [{'outcome': r.outcome, 'tool': r.tool_name, 'user': r.user_id.id} for r in rows]})
`);
    assert.equal(check.partners, 1);
    assert.deepEqual(check.audit, [{ outcome: 'ok', tool: CREATE_TOOL, user: fixtures.adminId }]);
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
        args: [e2e.db, fixtures.adminId, fixtures.readOnly.key, 'res.partner', 'create',
          [{ name: 'must not exist' }]] } }),
    });
    const body = (await res.json()) as { result?: unknown; error?: unknown };
    assert.equal(body.result, undefined);
    assert.ok(body.error, 'an MCP key was accepted by /jsonrpc');
  });
});
