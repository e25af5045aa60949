// MCP resources through the sidecar, relayed to the contract stand-in: resources/list (paged by Odoo's cursor),
// resources/templates/list, resources/read (text and blob), Odoo's refusals as -32602 with the URI, caching
// hints, capabilities in both eras, and tool results carrying resource_link content.

import assert from 'node:assert/strict';
import { ALICE_KEY, ALICE_READ_ONLY_KEY, BOB_KEY } from '../support/odooStandIn.js';
import { errorMessage, fixture } from '../support/contractFiles.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';
import { VERSIONS, connect1x, connect2x } from '../support/clients.js';
import { META_2026, post } from '../support/rawMcp.js';

describe('MCP resources', function () {
  const stack = sidecarOnStandIn();

  // Odoo's two pages of the list (recorded in pages of 3) and the contact the fixtures read (id 41)
  const pages = ['resources', 'resources-next-page'].map((name) => (fixture(name).response.body.resources as Array<{ uri: string }>).map((r) => r.uri));
  const CONTACT = 'odoo://res.partner/41';

  async function raw(key: string, method: string, params: Record<string, unknown> = {}) {
    const headers: Record<string, string> = { Authorization: `Bearer ${key}`, 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': method };
    if (method === 'resources/read') headers['Mcp-Name'] = String(params.uri);
    return post(stack.sidecar.mcpUrl, { jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: META_2026 } }, headers);
  }

  for (const version of VERSIONS) {
    it(`2.x client at ${version}: lists every page, the templates, and reads a record, an attachment and a PDF`, async () => {
      const client = await connect2x(stack.sidecar.mcpUrl, ALICE_KEY, version);
      try {
        assert.deepEqual(client.getServerCapabilities()?.resources, {});
        // the 2.x client follows nextCursor itself: both of Odoo's pages in one list
        const { resources } = await client.listResources();
        assert.deepEqual(resources.map((r) => r.uri), pages.flat());
        assert.ok(pages[0]!.length > 0 && pages[1]!.length > 0);
        const { resourceTemplates } = await client.listResourceTemplates();
        assert.ok(resourceTemplates.some((t) => t.uriTemplate === 'odoo://report/{report}/{ids}'));

        const record = await client.readResource({ uri: CONTACT });
        assert.equal(record.contents[0]!.mimeType, 'application/json');
        assert.equal(JSON.parse((record.contents[0] as { text: string }).text).name, 'Stand-in Contact');
        const file = await client.readResource({ uri: 'odoo://ir.attachment/1' });
        assert.equal(file.contents[0]!.mimeType, 'image/png');
        const pdf = await client.readResource({ uri: 'odoo://report/sale.report_saleorder/1' });
        const bytes = Buffer.from((pdf.contents[0] as { blob: string }).blob, 'base64');
        assert.ok(bytes.subarray(0, 5).equals(Buffer.from('%PDF-')));
      } finally {
        await client.close();
      }
    });
  }

  for (const version of ['2025-11-25', '2025-06-18', '2025-03-26'] as const) {
    it(`1.x client offering ${version}: lists a page at a time and reads resources with the key`, async () => {
      const client = await connect1x(stack.sidecar.mcpUrl, BOB_KEY, version);
      try {
        assert.deepEqual(client.getServerCapabilities()?.resources, {});
        // the 1.x client takes one page at a time: Odoo's cursor goes back as it came
        const first = await client.listResources();
        assert.deepEqual(first.resources.map((r) => r.uri), pages[0]);
        assert.equal(first.nextCursor, fixture('resources').response.body.nextCursor);
        const second = await client.listResources({ cursor: first.nextCursor });
        assert.deepEqual(second.resources.map((r) => r.uri), pages[1]);
        assert.equal(second.nextCursor, undefined);
        const read = await client.readResource({ uri: CONTACT });
        assert.equal(JSON.parse((read.contents[0] as { text: string }).text).name, 'Stand-in Contact');
        // a record Odoo does not give this user (fixture resource-unknown) is -32602
        await assert.rejects(client.readResource({ uri: 'odoo://res.partner/1' }), (err: any) => err.code === -32602);
      } finally {
        await client.close();
      }
    });
  }

  it("relays the caller's own key, and Odoo audits each read once with the URI", async () => {
    const before = stack.odoo.audit.length;
    const answer = await raw(BOB_KEY, 'resources/read', { uri: CONTACT });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(stack.odoo.authorizations.at(-1), `Bearer ${BOB_KEY}`);
    const rows = stack.odoo.audit.slice(before);
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0]!.tool, rows[0]!.outcome, rows[0]!.userId], ['resources/read', 'ok', 6]);
    assert.equal(typeof rows[0]!.request_id, 'string');
    assert.deepEqual([rows[0]!.uri, rows[0]!.keyId], [CONTACT, 21]);
  });

  it('answers an unknown or hidden resource with -32602 naming the URI (SEP-2164), audited by Odoo', async () => {
    for (const [uri, outcome] of [
      ['test://nonexistent-resource-for-conformance-testing', 'invalid'],
      ['odoo://ir.config_parameter/1', 'denied'],
    ] as const) {
      const before = stack.odoo.audit.length;
      const answer = await raw(ALICE_KEY, 'resources/read', { uri });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json.error.code, -32602);
      assert.equal(answer.json.error.data.uri, uri);
      assert.deepEqual(stack.odoo.audit.slice(before).map((r) => r.outcome), [outcome]);
    }
  });

  it('refuses a file over the cap with a message naming the cap', async () => {
    const answer = await raw(ALICE_KEY, 'resources/read', { uri: 'odoo://ir.attachment/2' });
    assert.equal(answer.json.error.code, -32602);
    assert.equal(answer.json.error.message, errorMessage('resource-too-large'));
    assert.equal(answer.json.error.data.reason, 'resource_too_large');
  });

  it('a read-only key reads resources', async () => {
    const readOnly = await raw(ALICE_READ_ONLY_KEY, 'resources/read', { uri: CONTACT });
    assert.equal(readOnly.json.result.contents[0].uri, CONTACT);
  });

  it('passes a bad cursor on to Odoo and answers its refusal with -32602', async () => {
    const answer = await raw(ALICE_KEY, 'resources/list', { cursor: 'not-a-cursor' });
    assert.equal(answer.json.error.code, -32602);
    assert.match(answer.json.error.message, /Invalid cursor/);
    const templates = await raw(ALICE_KEY, 'resources/templates/list', { cursor: 'anything' });
    assert.equal(templates.json.error.code, -32602);
  });

  it('gives 2026-07-28 caching hints on the lists and on reads', async () => {
    for (const [method, params] of [
      ['resources/list', {}],
      ['resources/templates/list', {}],
      ['resources/read', { uri: CONTACT }],
    ] as const) {
      const answer = await raw(ALICE_KEY, method, params);
      const { ttlMs, cacheScope } = answer.json.result;
      assert.equal(cacheScope, 'private', method);
      assert.ok(Number.isInteger(ttlMs) && ttlMs >= 0, `${method}: ${ttlMs}`);
      if (method !== 'resources/read') assert.ok(ttlMs > 0, method);
    }
    const discover = await raw(ALICE_KEY, 'server/discover');
    assert.deepEqual(discover.json.result.capabilities.resources, {});
  });

  for (const version of ['2026-07-28', '2025-11-25'] as const) {
    it(`passes a tool's resource_link content through the outputSchema projection (${version})`, async () => {
      const client = await connect2x(stack.sidecar.mcpUrl, ALICE_KEY, version);
      try {
        const result = await client.callTool({ name: 'odoo_report', arguments: { report: 'sale.report_saleorder', ids: [1] } });
        assert.equal(result.isError, false);
        const link = (result.content as any[]).find((c) => c.type === 'resource_link');
        // as Odoo answered (fixture call-report): the quotation's PDF as its Print menu names it
        const recorded = (fixture('call-report').response.body.content as any[]).find((c) => c.type === 'resource_link');
        assert.deepEqual(link, recorded);
        assert.equal(link.uri, 'odoo://report/sale.report_saleorder/1');
        assert.deepEqual((result.structuredContent as any).resource_links[0].uri, link.uri);
        const read = await client.readResource({ uri: link.uri });
        assert.equal(read.contents[0]!.mimeType, 'application/pdf');
      } finally {
        await client.close();
      }
    });
  }
});
