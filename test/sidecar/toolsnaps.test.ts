// What MCP clients see of Odoo's built-in tools is pinned by docs/contract/toolsnaps/ (github-mcp-server's
// __toolsnaps__): the addon's TestToolSnapshots checks each file against the real `tools` route; here the
// stand-in serves the same files and tools/list through the sidecar must give every one of them unchanged, in
// both protocol eras. A changed description or schema is a diff of a snapshot in review, on both sides.

import assert from 'node:assert/strict';
import { toolSnapshots } from '../support/contractFiles.js';
import { DORA_KEY } from '../support/odooStandIn.js';
import { legacy, modern, post } from '../support/rawMcp.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';

describe('built-in tool definitions as clients get them (docs/contract/toolsnaps)', () => {
  const stack = sidecarOnStandIn();
  const snapshots = toolSnapshots();

  async function listed(era: 'legacy' | 'modern'): Promise<Array<Record<string, unknown>>> {
    const tools: Array<Record<string, unknown>> = [];
    let cursor: string | undefined;
    for (let id = 1; id < 20; id += 1) {
      const params = cursor ? { cursor } : {};
      const answer = era === 'modern'
        ? await post(stack.sidecar.mcpUrl, ...modern(DORA_KEY, id, 'tools/list', params))
        : await post(stack.sidecar.mcpUrl, { jsonrpc: '2.0', id, method: 'tools/list', params }, legacy(DORA_KEY));
      assert.equal(answer.status, 200, answer.text);
      tools.push(...(answer.json.result.tools as Array<Record<string, unknown>>));
      cursor = answer.json.result.nextCursor as string | undefined;
      if (!cursor) return tools;
    }
    throw new Error('tools/list did not end');
  }

  it('has a snapshot of the tools every database has', () => {
    for (const name of ['odoo_search', 'odoo_read', 'odoo_count', 'odoo_create', 'odoo_update', 'odoo_delete', 'odoo_report', 'odoo_export']) {
      assert.ok(snapshots[name], `no snapshot of ${name}`);
      assert.equal(snapshots[name].name, name);
    }
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`tools/list (${era === 'modern' ? '2026-07-28' : '2025-11-25'}) gives each built-in tool exactly as its snapshot`, async () => {
      const tools = await listed(era);
      assert.deepEqual(tools.map((t) => t.name), Object.keys(snapshots).sort());
      for (const tool of tools) assert.deepEqual(tool, snapshots[tool.name as string], `${String(tool.name)} differs from its snapshot`);
    });
  }
});
