// The quick start as a person does it: log in to Odoo through the proxy, New MCP Key (the wizard with its
// password check, over the same HTTP calls the web client makes), paste the Claude Desktop configuration it
// shows, and ask for the tools.
import assert from 'node:assert/strict';
import { StdioClient } from './clients.js';
import { SEARCH_TOOL } from './fixtures.js';
import { e2e, mcpUrl, proxyUrl, runCommand } from './stack.js';

/** The web client's JSON-RPC calls, with its session cookie. */
class WebSession {
  private cookie = '';

  async rpc<T>(path: string, params: Record<string, unknown>): Promise<T> {
    const res = await fetch(`${proxyUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(this.cookie ? { Cookie: this.cookie } : {}) },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params }),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0] ?? '';
    const body = (await res.json()) as { result?: T; error?: { data?: { message?: string } } };
    if (body.error) throw new Error(`${path}: ${body.error.data?.message ?? JSON.stringify(body.error)}`);
    return body.result as T;
  }

  callKw<T>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) {
    return this.rpc<T>(`/web/dataset/call_kw/${model}/${method}`, { model, method, args, kwargs });
  }
}

interface Action { res_model?: string; res_id?: number; context?: Record<string, unknown> }

describe('New MCP Key, then the configuration it shows', () => {
  let configs: Record<string, unknown>;

  before(async () => {
    const web = new WebSession();
    await web.rpc('/web/session/authenticate', { db: e2e.db, login: 'admin', password: 'admin' });
    const wizardId = await web.callKw<number>('llm.mcp.key.wizard', 'create', [{ name: `e2e wizard ${Date.now()}` }]);
    // The first click asks for the password (Odoo's identity check), as for Odoo's own API keys.
    const check = await web.callKw<Action>('llm.mcp.key.wizard', 'action_create_key', [[wizardId]]);
    assert.equal(check.res_model, 'res.users.identitycheck');
    await web.callKw('res.users.identitycheck', 'write', [[check.res_id], { password: 'admin' }]);
    const shown = await web.callKw<Action>('res.users.identitycheck', 'run_check', [[check.res_id]]);
    assert.equal(shown.res_model, 'llm.mcp.key.show');
    configs = shown.context ?? {};
  });

  it('shows the proxy URL users connect to', () => {
    assert.equal(configs.default_public_url, mcpUrl);
  });

  it('gives a Claude Desktop configuration that works as pasted', async () => {
    const desktop = JSON.parse(String(configs.default_config_claude_desktop)) as {
      mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }> };
    const [server] = Object.values(desktop.mcpServers);
    assert.ok(server);
    // npx resolves `mcp-remote` to the project's pinned devDependency (0.15.1).
    const client = new StdioClient(server.command, server.args, server.env);
    try {
      const init = await client.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {},
        clientInfo: { name: 'claude-ai', version: '0.1.0' } });
      assert.ok(init.result, JSON.stringify(init.error));
      client.notify('notifications/initialized');
      const list = await client.request(2, 'tools/list', {});
      const names = (list.result?.tools as { name: string }[] | undefined)?.map((t) => t.name) ?? [];
      assert.ok(names.includes(SEARCH_TOOL), `tools/list: ${JSON.stringify(list).slice(0, 300)}`);
    } finally {
      await client.close();
    }
  });

  it('gives a curl command that lists the tools', async () => {
    const { stdout } = await runCommand('bash', ['-c', String(configs.default_config_curl)]);
    const answer = JSON.parse(stdout) as { result?: { tools?: { name: string }[] } };
    assert.ok(answer.result?.tools?.some((t) => t.name === SEARCH_TOOL), stdout.slice(0, 300));
  });
});
