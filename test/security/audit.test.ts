// Every authenticated tools/call must leave exactly one audit row in Odoo: the sidecar refuses no call itself
// (unknown tool, arguments failing the schema, a tool outside the key's catalog), it relays each to Odoo, the
// authority, which answers and audits it. Checked against the contract stand-in, which audits as the addon does.

import assert from 'node:assert/strict';
import { ALICE_KEY, ALICE_READ_ONLY_KEY, BOB_KEY, type AuditRow } from '../support/odooStandIn.js';
import { legacy, modern, post } from '../support/rawMcp.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';

describe('attacks on the audit trail (every tools/call reaches Odoo)', () => {
  const stack = sidecarOnStandIn();

  /** Runs `send` and returns the audit rows the stand-in wrote meanwhile. */
  async function rowsOf(send: () => Promise<unknown>): Promise<AuditRow[]> {
    const before = stack.odoo.audit.length;
    await send();
    return stack.odoo.audit.slice(before);
  }

  const call = (id: number | string, name: string, args: unknown) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

  it('relays an unknown tool to Odoo, which audits it once as invalid; the client gets -32602', async () => {
    let answer: Awaited<ReturnType<typeof post>> | undefined;
    const rows = await rowsOf(async () => (answer = await post(stack.sidecar.mcpUrl, call(1, 'no_such_tool', {}), legacy(ALICE_KEY))));
    assert.deepEqual(rows.map((r) => [r.tool, r.outcome]), [['no_such_tool', 'invalid']]);
    assert.equal(answer!.json.error.code, -32602);
    assert.equal(answer!.json.error.message, 'Unknown tool: no_such_tool');
  });

  it("relays arguments that fail the tool's schema to Odoo, which audits them once and names the argument", async () => {
    let answer: Awaited<ReturnType<typeof post>> | undefined;
    const rows = await rowsOf(async () => (answer = await post(stack.sidecar.mcpUrl, call(2, 'odoo_search', { limit: 5 }), legacy(ALICE_KEY))));
    // once: the sidecar's part (Odoo audits it `invalid`: TestCall.test_every_call_leaves_one_audit_row_without_secrets)
    assert.deepEqual(rows.map((r) => r.tool), ['odoo_search']);
    assert.equal(answer!.json.result.isError, true);
    assert.match(answer!.json.result.content[0].text, /Missing required argument 'model'/);
  });

  it("relays a read-only key's call of a write tool to Odoo, which audits it once as denied", async () => {
    let answer: Awaited<ReturnType<typeof post>> | undefined;
    const rows = await rowsOf(async () => (answer = await post(stack.sidecar.mcpUrl, call(3, 'partner_create', { name: 'Mallory' }), legacy(ALICE_READ_ONLY_KEY))));
    assert.deepEqual(rows.map((r) => [r.tool, r.outcome, r.keyId]), [['partner_create', 'denied', 12]]);
    assert.equal(answer!.json.error.code, -32602);
  });

  it("relays a call of another user's tool to Odoo, which audits it once as denied (2026-07-28)", async () => {
    const [body, headers] = modern(BOB_KEY, 4, 'tools/call', { name: 'partner_create', arguments: { name: 'Mallory' } });
    const rows = await rowsOf(() => post(stack.sidecar.mcpUrl, body, headers));
    assert.deepEqual(rows.map((r) => [r.tool, r.outcome, r.userId]), [['partner_create', 'denied', 6]]);
  });

  it('relays each call exactly once, ok or failing, and writes nothing for requests that are not tools/call', async () => {
    const rows = await rowsOf(async () => {
      await post(stack.sidecar.mcpUrl, call(5, 'whoami', {}), legacy(ALICE_KEY));
      await post(stack.sidecar.mcpUrl, call(6, 'odoo_search', { model: 'sale.order' }), legacy(ALICE_KEY));
      await post(stack.sidecar.mcpUrl, { jsonrpc: '2.0', id: 7, method: 'tools/list' }, legacy(ALICE_KEY));
    });
    assert.deepEqual(rows.map((r) => [r.tool, r.outcome]), [['whoami', 'ok'], ['odoo_search', 'tool_error']]);
  });
});
