// The stack behind nginx with its TLS block (deploy/nginx/llm_mcp_tls.inc.template, rendered by scripts/stack.sh
// from STACK_TLS_CERT/STACK_TLS_KEY) and the suite's throw-away self-signed certificate, in front of the suite's
// real Odoo and sidecar: curl --cacert reaches Odoo and MCP over https, plain http is redirected, and with the
// public URL on https the OAuth metadata advertises https URLs only.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startProxy, type RunningProxy } from '../support/nginxProxy.js';
import { fixtures } from './fixtures.js';
import { e2e, orm, tls } from './stack.js';

const run = promisify(execFile);

/** curl trusting only the test certificate: the answer's status line, headers and body. */
async function curlHttps(url: string, ...args: string[]): Promise<{ status: number; headers: string; body: string }> {
  const { stdout } = await run('curl', ['-sS', '--cacert', tls.cert, '-D', '-', ...args, url]);
  const split = stdout.indexOf('\r\n\r\n');
  const headers = stdout.slice(0, split);
  return { status: Number(/^HTTP\/\S+ (\d+)/.exec(headers)?.[1]), headers, body: stdout.slice(split + 4) };
}

describe('the stack over https (nginx TLS block, a self-signed certificate, curl --cacert)', function () {
  this.timeout(60_000);
  let proxy: RunningProxy;
  let https: string;
  let publicUrl: string | false;

  before(async () => {
    proxy = await startProxy({ odoo: e2e.odooPort, sidecar: e2e.sidecarPort }, { tls: { cert: tls.cert, key: tls.key } });
    https = proxy.tlsUrl!;
    publicUrl = await orm<string | false>(`
config = env['llm.mcp.config'].get_config()
old = config.public_url
config.public_url = '${https}/mcp'
result(old)
`);
  });
  after(async () => {
    await orm(`env['llm.mcp.config'].get_config().public_url = ${publicUrl ? JSON.stringify(publicUrl) : 'False'}\nresult(True)`);
    await proxy?.close();
  });

  it('advertises https URLs in the OAuth metadata when the public URL is https', async () => {
    const as = await curlHttps(`${https}/.well-known/oauth-authorization-server`);
    assert.equal(as.status, 200);
    assert.match(as.headers, /^strict-transport-security: max-age=31536000/im);
    const metadata = JSON.parse(as.body) as Record<string, string>;
    assert.equal(metadata.issuer, https);
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'revocation_endpoint', 'registration_endpoint']) {
      assert.ok(metadata[endpoint]?.startsWith(`${https}/llm_mcp_oauth/`), `${endpoint}: ${metadata[endpoint]}`);
    }
    const prm = JSON.parse((await curlHttps(`${https}/.well-known/oauth-protected-resource/mcp`)).body) as
      { resource: string; authorization_servers: string[] };
    assert.equal(prm.resource, `${https}/mcp`);
    assert.deepEqual(prm.authorization_servers, [https]);
  });

  it('serves MCP over https with a key, challenges without one, and redirects plain http to https', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    const mcpArgs = ['-X', 'POST', '-H', 'Content-Type: application/json', '-H', 'Accept: application/json, text/event-stream',
      '-H', 'MCP-Protocol-Version: 2025-11-25', '--data', body];
    const listed = await curlHttps(`${https}/mcp`, ...mcpArgs, '-H', `Authorization: Bearer ${fixtures.admin.key}`);
    assert.equal(listed.status, 200, listed.body.slice(0, 300));
    assert.match(listed.body, /"tools":\[/);
    const challenged = await curlHttps(`${https}/mcp`, ...mcpArgs);
    assert.equal(challenged.status, 401);
    assert.match(challenged.headers, /^www-authenticate: Bearer /im);
    const plain = await fetch(`${proxy.url}/mcp`, { method: 'POST', body, redirect: 'manual' });
    assert.equal(plain.status, 308);
    assert.equal(plain.headers.get('location'), `${https}/mcp`);
  });
});
