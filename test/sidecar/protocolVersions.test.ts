// The SDK's own clients, of both lines, at every protocol version the sidecar serves: connect
// (server/discover or initialize) → tools/list → tools/call, relayed to the contract stand-in.

import assert from 'node:assert/strict';
import { ALICE_KEY, BOB_KEY } from '../support/odooStandIn.js';
import { fixture } from '../support/contractFiles.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';
import { VERSIONS, connect1x, connect2x } from '../support/clients.js';

describe('MCP clients at every protocol version', function () {
  const stack = sidecarOnStandIn();

  for (const version of VERSIONS) {
    it(`2.x client at ${version}: connects, lists and calls tools as the key's user`, async () => {
      const client = await connect2x(stack.sidecar.mcpUrl, ALICE_KEY, version);
      try {
        assert.equal(client.getNegotiatedProtocolVersion(), version);
        assert.equal(client.getServerVersion()?.name, 'Odoo MCP (stand-in)');
        const { tools } = await client.listTools();
        const names = tools.map((t) => t.name);
        assert.ok(names.includes('whoami') && names.includes('partner_create'), names.join(','));
        const search = tools.find((t) => t.name === 'odoo_search')!;
        assert.equal(search.annotations?.readOnlyHint, true);
        assert.deepEqual(search.inputSchema.required, ['model']);

        const before = stack.odoo.calls.length;
        const result = await client.callTool({ name: 'odoo_search', arguments: { model: 'res.company', limit: 1 } });
        assert.equal(result.isError, false);
        // Odoo's first page of admin's two companies (fixture call-search-page), as it answered
        const recorded = fixture('call-search-page').response.body.structuredContent as { records: unknown[]; has_more: boolean };
        assert.deepEqual(result.structuredContent, recorded);
        assert.deepEqual([recorded.records.length, recorded.has_more], [1, true]);
        const relayed = stack.odoo.calls[before]!;
        assert.equal(relayed.protocol_version, version);
        assert.equal(typeof relayed.request_id, 'string');
        if (version === '2026-07-28') assert.deepEqual(relayed.client, { name: 'e2e-client-2x', version: '2.4.0' });
        assert.equal(stack.odoo.authorizations.at(-1), `Bearer ${ALICE_KEY}`);
      } finally {
        await client.close();
      }
    });
  }

  for (const version of ['2025-11-25', '2025-06-18', '2025-03-26'] as const) {
    it(`1.x client offering ${version}: connects, lists and calls tools`, async () => {
      const client = await connect1x(stack.sidecar.mcpUrl, BOB_KEY, version);
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name), ['odoo_search', 'whoami']);
        const result = await client.callTool({ name: 'whoami', arguments: {} });
        assert.deepEqual(result.structuredContent, { user_id: 6, login: 'bob' });
        assert.equal(stack.odoo.calls.at(-1)!.protocol_version, version);
      } finally {
        await client.close();
      }
    });
  }
});
