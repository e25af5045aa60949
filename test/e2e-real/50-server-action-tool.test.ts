// A server action an LLM manager makes a tool (its "Use as LLM Tool" button, through the ORM here): listed to
// those who may run it, run through /mcp as the caller on the records given, audited, and never offered to a
// read-only key. The action, the tool and the contact are removed afterwards, so other tests' lists stay put.
import assert from 'node:assert/strict';
import { connect, MODERN_VERSION, textOf, type McpSession } from './clients.js';
import { fixtures, removeServerActionFixture, type ServerActionFixture } from './fixtures.js';
import { e2e, orm } from './stack.js';

describe('a server action as a tool through /mcp', () => {
  let fixture: ServerActionFixture;
  let admin: McpSession;

  before(async () => {
    fixture = await orm<ServerActionFixture>(`
import time
stamp = '%d' % (time.time() * 1000)
partner = env['res.partner'].create({'name': 'E2E action target %s' % stamp})
action = env['ir.actions.server'].create({
    'name': 'E2E check contacts %s' % stamp, 'model_id': env.ref('base.model_res_partner').id, 'state': 'code',
    'code': "records.write({'ref': 'checked by %s' % env.user.login})\\naction = {'checked': len(records)}",
})
opened = action.with_user(env.ref('base.user_admin')).action_llm_tool_create()
tool = env['llm.tool'].browse(opened['res_id'])
# not destructive, so no confirmation (60-confirmations.test.ts tests those): it runs at the first call
tool.write({'description': 'Mark contacts as checked by you (writes their reference).', 'destructive_hint': False,
            'open_world_hint': False, 'requires_confirmation': False})
result({'tool': tool.name, 'toolId': tool.id, 'actionId': action.id, 'partnerId': partner.id})
`);
    // the sidecar learns of the new tool at its next identity check of each key
    await new Promise((resolve) => setTimeout(resolve, e2e.authCacheTtlMs + 500));
    admin = await connect(fixtures.admin.key, MODERN_VERSION);
  });

  after(async () => {
    await admin?.close();
    await removeServerActionFixture(fixture);
  });

  it('lists it to admin with its record ids schema, not to a user who may not write contacts', async () => {
    const tool = (await admin.listTools()).find((t) => t.name === fixture.tool);
    assert.ok(tool, `${fixture.tool} is not listed to admin`);
    assert.deepEqual(Object.keys(tool.inputSchema?.properties ?? {}), ['record_ids']);
    assert.equal(tool.annotations?.readOnlyHint, false);
    const restricted = await connect(fixtures.restricted.key, '2025-11-25');
    try {
      assert.ok(!(await restricted.listTools()).some((t) => t.name === fixture.tool));
    } finally {
      await restricted.close();
    }
  });

  it('runs it as the caller on the records given and leaves one audit row', async () => {
    const result = await admin.callTool(fixture.tool, { record_ids: [fixture.partnerId] });
    assert.equal(result.isError, false, textOf(result));
    assert.deepEqual(result.structuredContent, { record_ids: [fixture.partnerId], result: { checked: 1 } });
    const check = await orm<{ ref: string; audit: { outcome: string; user: number }[] }>(`
rows = env['llm.mcp.call'].search([('tool_id', '=', ${fixture.toolId})])
result({'ref': env['res.partner'].browse(${fixture.partnerId}).ref,
        'audit': [{'outcome': r.outcome, 'user': r.user_id.id} for r in rows]})`);
    assert.equal(check.ref, 'checked by admin');
    assert.deepEqual(check.audit, [{ outcome: 'ok', user: fixtures.adminId }]);
  });

  it('is neither listed to nor run by a read-only key', async () => {
    const session = await connect(fixtures.readOnly.key, MODERN_VERSION);
    try {
      assert.ok(!(await session.listTools()).some((t) => t.name === fixture.tool));
      await assert.rejects(session.callTool(fixture.tool, { record_ids: [fixture.partnerId] }), /Unknown tool|not found/i);
    } finally {
      await session.close();
    }
  });
});
