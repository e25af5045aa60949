// Every kind of MCP client a user runs, against the real stack through the proxy URL, with a real key.
import assert from 'node:assert/strict';
import { connect, inspector, LEGACY_VERSIONS, McpRemote, MODERN_VERSION, textOf, type McpSession } from './clients.js';
import { fixtures } from './fixtures.js';
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
        const tools = await session.listTools();
        const tool = tools.find((t) => t.annotations?.readOnlyHint && t.inputSchema?.properties?.model);
        assert.ok(tool, `no read-only tool taking a model among ${tools.map((t) => t.name).join(', ')}`);
        const result = await session.callTool(tool.name, { model: 'res.partner' });
        assert.equal(result.isError, false, textOf(result));
        assert.match(textOf(result), /Azure Interior|Deco Addict|Gemini Furniture/);
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
    let remote: McpRemote;
    before(() => (remote = new McpRemote(fixtures.admin.key)));
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
      const call = await remote.request(3, 'tools/call', { name: tools[0]!.name, arguments: {} });
      assert.ok(call.result || call.error, 'no answer to tools/call');
      assert.doesNotMatch(remote.stderr, new RegExp(fixtures.admin.key), 'mcp-remote printed the key');
    });
  });

  describe('MCP Inspector CLI 2.12.0 (Node 22)', () => {
    for (const era of ['modern', 'legacy']) {
      it(`lists tools (--protocol-era ${era})`, async () => {
        const out = (await inspector(fixtures.admin.key, ['--protocol-era', era, '--method', 'tools/list'])) as {
          tools?: { name: string }[] };
        assert.ok(out.tools?.length, JSON.stringify(out).slice(0, 500));
      });
    }
  });
});
