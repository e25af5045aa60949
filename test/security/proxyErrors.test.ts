// Requests nginx refuses itself, before any location or upstream sees them (a NUL byte in a header, a header or
// URL over its buffers, a header line it cannot parse): the real nginx with the stack's routes answers them with
// a JSON-RPC error body, as the sidecar answers what Node cannot parse, not nginx's HTML page. And a path the
// sidecar does not serve (`/mcp//`) stays the sidecar's JSON answer.

import assert from 'node:assert/strict';
import { NGINX, rawRequest, startProxy, type RawResponse, type RunningProxy } from '../support/nginxProxy.js';
import { ALICE_KEY } from '../support/odooStandIn.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';

const MCP_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
  'MCP-Protocol-Version': '2025-11-25', Authorization: `Bearer ${ALICE_KEY}` };
const BODY = '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}';

function assertJsonError(res: RawResponse, status: number, what: string): void {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
  assert.match(String(res.headers['content-type']), /^application\/json/, `${what}: ${res.text.slice(0, 200)}`);
  const json = JSON.parse(res.text) as { jsonrpc: string; id: null; error: { code: number; message: string } };
  assert.equal(json.jsonrpc, '2.0', what);
  assert.equal(json.id, null, what);
  assert.ok(Number.isInteger(json.error.code) && json.error.message, what);
  assert.doesNotMatch(res.text, /<html|nginx/i, what);
}

describe("requests the proxy refuses itself, answered with JSON", function () {
  this.timeout(30_000);
  let proxy: RunningProxy | undefined;
  const stack = sidecarOnStandIn({ MCP_ALLOWED_HOSTS: '*' });

  before(async function () {
    if (!NGINX) this.skip();
    proxy = await startProxy({ odoo: (_req, res) => res.end('odoo'), sidecar: Number(new URL(stack.sidecar.url).port) });
  });
  after(async () => {
    await proxy?.close();
  });

  it('deploy answers a NUL byte in a header, a 20 kB header and a 20 kB URL with a JSON-RPC error, not its HTML page', async () => {
    const port = proxy!.port;
    assertJsonError(await rawRequest(port, 'POST', '/mcp', { headers: { ...MCP_HEADERS, 'X-Nul': 'a\u0000b' }, body: BODY }),
      400, 'NUL in a header');
    assertJsonError(await rawRequest(port, 'POST', '/mcp', { headers: { ...MCP_HEADERS, 'X-Big': 'x'.repeat(20_000) }, body: BODY }),
      400, '20 kB header');
    assertJsonError(await rawRequest(port, 'GET', `/mcp?${'q'.repeat(20_000)}`), 414, '20 kB URL');
    assertJsonError(await rawRequest(port, 'POST', '/mcp', { headers: { ...MCP_HEADERS, 'Bad Header': 'x' }, body: BODY }),
      400, 'a header name with a space');
    // and it still serves
    const ok = await rawRequest(port, 'POST', '/mcp', { headers: MCP_HEADERS, body: BODY });
    assert.equal(ok.status, 200, ok.text);
  });

  it('deploy leaves the answer to POST /mcp// to the sidecar, as JSON', async () => {
    const res = await rawRequest(proxy!.port, 'POST', '/mcp//', { headers: MCP_HEADERS, body: BODY });
    assert.match(String(res.headers['content-type']), /^application\/json/, `${res.status} ${res.text.slice(0, 200)}`);
    assert.doesNotMatch(res.text, /<html/i);
  });
});
