// Attacks on the public port, through the real nginx running the stack's configuration: what a client sends
// there must never reach the routes only the sidecar may use, whatever spelling nginx or Odoo would normalise.

import assert from 'node:assert/strict';
import { NGINX, rawRequest, startProxy, type RunningProxy } from '../support/nginxProxy.js';

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

describe('attacks on the public port (real nginx)', function () {
  this.timeout(20_000);
  let proxy: RunningProxy;

  before(async function () {
    if (!NGINX) this.skip(); // .ci/run installs nginx
    proxy = await startProxy({
      odoo: (_req, res) => res.end('odoo'),
      sidecar: (_req, res) => res.end('sidecar'),
    });
  });
  after(async () => proxy?.close());

  // Odoo's routes are case-sensitive, but werkzeug decodes %XX, the proxy merges slashes and resolves dot
  // segments, and Odoo's http_routing strips a language prefix (/en/…, /fr_BE/…) and reroutes a POST.
  const SPELLINGS = [
    '/llm_mcp/v1/call',
    '/llm_mcp/v1/health',
    '/llm_mcp/v1/identity',
    '/llm_mcp/v1/tools',
    '/llm_mcp/v1/call?debug=1',
    '/llm_mcp/v1/call/',
    '/llm_mcp',
    '/llm_mcp/',
    '//llm_mcp/v1/call',
    '///llm_mcp//v1//call',
    '/llm_mcp/%761/call',
    '/%6clm_mcp/v1/call',
    '/llm_mcp%2fv1%2fcall',
    '/LLM_MCP/v1/call',
    '/Llm_Mcp/v1/Call',
    '/web/../llm_mcp/v1/call',
    '/web/%2e%2e/llm_mcp/v1/call',
    '/web/%2E%2E%2Fllm_mcp/v1/call',
    '/./llm_mcp/v1/call',
    '/en/llm_mcp/v1/call',
    '/fr_BE/llm_mcp/v1/call',
    '/websocket/../llm_mcp/v1/call',
    '/mcp/../llm_mcp/v1/call',
    // the segment spelled with a character after it that nginx leaves alone (red team 2026-12-02: `;x` reached
    // Odoo), and paths under the OAuth prefixes, which go to Odoo, climbing out of them
    '/llm_mcp;x/v1/identity',
    '/llm_mcp%3bx/v1/identity',
    '/llm_mcp./v1/identity',
    '/llm_mcp%2e/v1/identity',
    '/llm_mcp%20/v1/identity',
    '/llm_mcp\\v1\\identity',
    '/llm_mcp%5cv1%5cidentity',
    '/llm_mcp_oauth/..;/llm_mcp/v1/identity',
    '/llm_mcp_oauth/%2e%2e/llm_mcp/v1/identity',
    '/llm_mcp_oauth/x/../../llm_mcp/v1/call',
    '/.well-known/oauth-authorization-server/..%2f..%2fllm_mcp/v1/identity',
    '/.well-known/oauth-protected-resource/;/llm_mcp/v1/identity',
    // the absolute form of the request target (RFC 9112 3.2.2), which a server must accept
    'http://127.0.0.1/llm_mcp/v1/identity',
    'http://127.0.0.1/llm_mcp;x/v1/identity',
  ];

  it('refuses the internal contract routes on the public port, with a JSON 404, for every spelling and method', async () => {
    const leaked: string[] = [];
    for (const target of SPELLINGS) {
      for (const method of ['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) {
        proxy.seen.length = 0;
        const body = method === 'POST' || method === 'PUT' ? '{"name":"odoo_search","arguments":{},"client":{"name":"forged"}}' : undefined;
        const res = await rawRequest(proxy.port, method, target, {
          headers: { 'Content-Type': 'application/json', Authorization: 'Bearer some-key' },
          ...(body ? { body } : {}),
        });
        const reached = proxy.seen.map((s) => `${s.who} ${s.url}`).join(', ');
        const json = method === 'HEAD' || !/^application\/json/.test(String(res.headers['content-type'])) ? undefined : tryJson(res.text);
        const jsonOk = method === 'HEAD' || (json as { error?: { code?: string } } | undefined)?.error?.code === 'not_found';
        if (reached || res.status !== 404 || !jsonOk) leaked.push(`${method} ${target} → ${res.status}${jsonOk ? '' : ' (not a JSON not_found)'}${reached ? `, reached ${reached}` : ''}`);
      }
    }
    assert.deepEqual(leaked, []);
  });

  it('says nothing about the database on the public port (the health route names it)', async () => {
    const res = await rawRequest(proxy.port, 'GET', '/llm_mcp/v1/health');
    assert.equal(res.status, 404);
    assert.doesNotMatch(res.text, /database|odoo_version|addon_version/);
  });

  it("still sends the addon's own assets and other Odoo paths to Odoo", async () => {
    for (const target of ['/llm_mcp_server/static/description/icon.png', '/web/login', '/odoo/action-llm_mcp_server.menu', '/llm_mcpx',
      '/llm_mcp_oauth/token', '/.well-known/oauth-authorization-server', '/mcp-guide']) {
      proxy.seen.length = 0;
      const res = await rawRequest(proxy.port, 'GET', target);
      assert.equal(res.text, 'odoo', target);
      assert.equal(proxy.seen[0]?.who, 'odoo', target);
    }
  });

  it('strips a client-sent X-LLM-MCP-Token before Odoo sees it, on every Odoo route', async () => {
    for (const target of ['/web/login', '/jsonrpc', '/websocket']) {
      proxy.seen.length = 0;
      await rawRequest(proxy.port, 'GET', target, { headers: { 'X-LLM-MCP-Token': '11.2.9999999999.forged' } });
      assert.equal(proxy.seen[0]?.who, 'odoo', target);
      assert.equal(proxy.seen[0].headers['x-llm-mcp-token'], undefined, `${target} passed the token on`);
    }
  });

  it("does not expose the sidecar's own probes (/readyz names Odoo's address) on the public port", async () => {
    for (const target of ['/readyz', '/healthz', '/mcp/../readyz', '/mcp/%2e%2e/readyz']) {
      proxy.seen.length = 0;
      await rawRequest(proxy.port, 'GET', target);
      assert.ok(proxy.seen.every((s) => s.who !== 'sidecar'), `${target} reached the sidecar`);
    }
  });
});
