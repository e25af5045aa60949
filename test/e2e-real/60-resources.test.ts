// MCP resources against the real stack, through the proxy, with the SDK clients of both lines: a record, an
// attachment, and a sale order's PDF printed by Odoo's report engine (a real PDF, within the budget).
import assert from 'node:assert/strict';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { fixtures } from './fixtures.js';
import { mcpUrl, orm } from './stack.js';

/** What the test needs of either SDK line's client. */
interface ResourceReader {
  listResources(): Promise<{ resources: { uri: string }[] }>;
  readResource(params: { uri: string }): Promise<{ contents: ({ uri: string; mimeType?: string; text?: string; blob?: string })[] }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

const headers = (key: string) => ({ requestInit: { headers: { Authorization: `Bearer ${key}` } } });

async function connect(line: string, key: string): Promise<ResourceReader> {
  if (line === '1.x at 2025-11-25') {
    const client = new LegacyClient({ name: 'e2e-sdk-1.x', version: '1.32.2' });
    await client.connect(new LegacyTransport(new URL(mcpUrl), headers(key)));
    return client;
  }
  const pin = line === '2.x at 2026-07-28' ? { versionNegotiation: { mode: { pin: '2026-07-28' as const } } } : { supportedProtocolVersions: ['2025-11-25'] };
  const client = new Client({ name: 'e2e-sdk-2.x', version: '2.4.0' }, pin);
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), headers(key)));
  return client;
}

// The answer the sidecar may read from Odoo (ODOO_MAX_ANSWER_BYTES) and the addon's default largest file.
const ODOO_MAX_ANSWER_BYTES = 2 * 1024 * 1024;
const LARGEST_FILE = 1024 * 1024;

describe('MCP resources through the proxy', () => {
  let order: { id: number; name: string };
  let attachmentId: number;

  before(async () => {
    ({ order, attachmentId } = await orm<{ order: { id: number; name: string }; attachmentId: number }>(`
order = env['sale.order'].search([], order='id', limit=1)
assert order, 'the demo data has sale orders'
att = env['ir.attachment'].search([('name', '=', 'e2e-resource.txt'), ('res_model', '=', 'sale.order'), ('res_id', '=', order.id)])
if not att:
    att = env['ir.attachment'].create({'name': 'e2e-resource.txt', 'raw': b'E2E resource bytes', 'mimetype': 'text/plain',
                                       'res_model': 'sale.order', 'res_id': order.id})
result({'order': {'id': order.id, 'name': order.name}, 'attachmentId': att.id})
`));
  });

  for (const line of ['2.x at 2026-07-28', '2.x at 2025-11-25', '1.x at 2025-11-25']) {
    describe(`SDK ${line}`, () => {
      let client: ResourceReader;
      before(async () => (client = await connect(line, fixtures.admin.key)));
      after(async () => client?.close());

      it('lists resources and reads a record as JSON', async () => {
        const { resources } = await client.listResources();
        const company = resources.find((r) => r.uri.startsWith('odoo://res.company/'));
        assert.ok(company, JSON.stringify(resources));
        const read = await client.readResource({ uri: `odoo://sale.order/${order.id}` });
        assert.equal(read.contents[0]!.mimeType, 'application/json');
        assert.equal(JSON.parse(read.contents[0]!.text!).name, order.name);
      });

      it('reads an attachment as a blob with its MIME type', async () => {
        const read = await client.readResource({ uri: `odoo://ir.attachment/${attachmentId}` });
        assert.equal(read.contents[0]!.mimeType, 'text/plain');
        assert.equal(Buffer.from(read.contents[0]!.blob!, 'base64').toString(), 'E2E resource bytes');
      });

      it("prints a sale order's PDF with odoo_report and reads it: a valid PDF within the budget", async () => {
        const result = (await client.callTool({ name: 'odoo_report', arguments: { report: 'sale.report_saleorder', ids: [order.id] } })) as {
          isError?: boolean; content: { type: string; uri?: string; mimeType?: string }[] };
        assert.equal(result.isError ?? false, false, JSON.stringify(result));
        const link = result.content.find((c) => c.type === 'resource_link');
        assert.ok(link?.uri, JSON.stringify(result.content));
        assert.equal(link.mimeType, 'application/pdf');
        const read = await client.readResource({ uri: link.uri });
        const pdf = Buffer.from(read.contents[0]!.blob!, 'base64');
        assert.equal(read.contents[0]!.mimeType, 'application/pdf');
        assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
        assert.ok(pdf.length > 1000 && pdf.length <= LARGEST_FILE, `${pdf.length} bytes`);
        assert.ok(read.contents[0]!.blob!.length < ODOO_MAX_ANSWER_BYTES);
        console.log(`      (${line}: ${order.name}'s PDF is ${pdf.length} bytes)`);
      });
    });
  }

  it('refuses the quotation and its PDF to a user without Sales rights, and audits each read', async () => {
    const client = await connect('2.x at 2026-07-28', fixtures.restricted.key);
    try {
      for (const uri of [`odoo://sale.order/${order.id}`, `odoo://report/sale.report_saleorder/${order.id}`, `odoo://ir.attachment/${attachmentId}`]) {
        await assert.rejects(client.readResource({ uri }), (err: any) => err.code === -32602 && err.data?.uri === uri, uri);
      }
    } finally {
      await client.close();
    }
    const rows = await orm<string[]>(`
rows = env['llm.mcp.call'].search([('user_id', '=', ${fixtures.restrictedId}), ('tool_name', '=', 'resources/read')], order='id desc', limit=3)
result([r.outcome for r in rows])
`);
    assert.deepEqual(rows, ['invalid', 'denied', 'denied']);
  });
});
