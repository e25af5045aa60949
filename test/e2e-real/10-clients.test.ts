// Every kind of MCP client a user runs, against the real stack through the proxy URL, with a real key.
import assert from 'node:assert/strict';
import { connect, inspector, LEGACY_VERSIONS, mcpRemote, MODERN_VERSION, textOf, type McpSession, type StdioClient } from './clients.js';
import { DEMO_COMPANIES, DEMO_COMPANY_NAMES, fixtures, SEARCH_TOOL } from './fixtures.js';
import { mcpUrl } from './stack.js';

describe('MCP clients through the proxy', () => {
  for (const version of [MODERN_VERSION, ...LEGACY_VERSIONS]) {
    describe(`SDK ${version === MODERN_VERSION ? '2.x' : '1.x'} client speaking ${version}`, () => {
      let session: McpSession;
      before(async () => (session = await connect(fixtures.admin.key, version)));
      after(async () => session?.close());

      it('negotiates that protocol version with the server Odoo names', () => {
        assert.equal(session.version, version);
        assert.ok(session.serverName, 'no server name');
      });

      it("lists the admin's tools", async () => {
        const tools = await session.listTools();
        assert.ok(tools.length > 0, 'no tools');
        assert.deepEqual(tools.map((t) => t.name), [...tools.map((t) => t.name)].sort());
      });

      it('runs a read-only tool on the demo data', async () => {
        const result = await session.callTool(SEARCH_TOOL, DEMO_COMPANIES);
        assert.equal(result.isError, false, textOf(result));
        assert.match(textOf(result), DEMO_COMPANY_NAMES);
      });
    });
  }

  it('refuses a request without a key with 401 and a Bearer challenge', async () => {
    const res = await fetch(mcpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
        'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': 'tools/list' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN_VERSION, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
    const body = (await res.json()) as { error?: { message?: string } };
    assert.match(body.error?.message ?? '', /Authorization: Bearer/);
  });

  describe('mcp-remote 0.15.1 as Claude Desktop runs it', () => {
    let remote: StdioClient;
    before(() => (remote = mcpRemote(fixtures.admin.key)));
    after(async () => remote?.close());

    it('initializes, lists tools and calls one over stdio', async () => {
      const init = await remote.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {},
        clientInfo: { name: 'claude-ai', version: '0.1.0' } });
      assert.ok(init.result, `initialize failed: ${JSON.stringify(init.error)}`);
      assert.equal(init.result.protocolVersion, '2025-06-18');
      remote.notify('notifications/initialized');
      const list = await remote.request(2, 'tools/list', {});
      const tools = list.result?.tools as { name: string; annotations?: { readOnlyHint?: boolean } }[];
      assert.ok(tools?.length, `tools/list failed: ${JSON.stringify(list.error)}`);
      assert.ok(tools.some((t) => t.name === SEARCH_TOOL));
      const call = await remote.request(3, 'tools/call', { name: SEARCH_TOOL, arguments: DEMO_COMPANIES });
      assert.equal(call.result?.isError, false, JSON.stringify(call));
      assert.match(JSON.stringify(call.result?.content), DEMO_COMPANY_NAMES);
      assert.doesNotMatch(remote.stderr, new RegExp(fixtures.admin.key), 'mcp-remote printed the key');
    });
  });

  describe('MCP Inspector CLI 2.12.0 (Node 22)', () => {
    for (const era of ['modern', 'legacy']) {
      it(`lists tools (--protocol-era ${era})`, async () => {
        const out = (await inspector(fixtures.admin.key, ['--protocol-era', era, '--method', 'tools/list'])) as {
          tools?: { name: string }[] };
        assert.ok(out.tools?.some((t) => t.name === SEARCH_TOOL), JSON.stringify(out).slice(0, 500));
      });
    }

    it('calls a tool', async () => {
      const out = (await inspector(fixtures.admin.key, ['--method', 'tools/call', '--tool-name', 'odoo_count',
        '--tool-arg', 'model=sale.order'])) as { isError?: boolean; structuredContent?: { count?: number } };
      assert.equal(out.isError, false, JSON.stringify(out).slice(0, 500));
      assert.ok((out.structuredContent?.count ?? 0) > 0, JSON.stringify(out).slice(0, 500));
    });
  });
});
