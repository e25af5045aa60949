// A request body over the sidecar's limit (MAX_BODY_BYTES, 1 MiB) gets 413 with a JSON-RPC error body, through
// the real nginx (whose limit for /mcp must be the same) and straight at the sidecar; never the proxy's HTML
// 502 or a reset connection. And when the sidecar is down, the proxy answers /mcp with JSON too.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULTS } from '../../sidecar/src/config.js';
import { NGINX, rawRequest, startProxy, type RawResponse, type RunningProxy } from '../support/nginxProxy.js';
import { ALICE_KEY } from '../support/odooStandIn.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';

const LIMIT = Number(DEFAULTS.MAX_BODY_BYTES);

/** A tools/call whose body is `bytes` long (padded inside an argument). */
function bodyOf(bytes: number): Buffer {
  const head = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{"pad":"';
  const tail = '"}}}';
  return Buffer.from(head + 'x'.repeat(bytes - head.length - tail.length) + tail);
}

const MCP_HEADERS = {
  'Content-Type': 'application/json',
  Accept: 'application/json, text/event-stream',
  'MCP-Protocol-Version': '2025-11-25',
  Authorization: `Bearer ${ALICE_KEY}`,
};

function assertJsonTooLarge(res: RawResponse, what: string): void {
  assert.equal(res.status, 413, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
  assert.match(String(res.headers['content-type']), /^application\/json/, what);
  const json = JSON.parse(res.text) as { jsonrpc: string; error: { code: number; message: string } };
  assert.equal(json.jsonrpc, '2.0', what);
  assert.match(json.error.message, new RegExp(`larger than ${LIMIT} bytes`), what);
}

describe('attacks with oversized request bodies', function () {
  this.timeout(30_000);
  let proxy: RunningProxy | undefined;

  const stack = sidecarOnStandIn({ MCP_ALLOWED_HOSTS: '*' });
  before(async () => {
    if (NGINX) proxy = await startProxy({ odoo: (_req, res) => res.end('odoo'), sidecar: Number(new URL(stack.sidecar.url).port) });
  });
  after(async () => {
    await proxy?.close();
  });

  it("gives the proxy the sidecar's limit for /mcp", () => {
    const template = readFileSync(new URL('../../deploy/nginx/llm_mcp.conf.template', import.meta.url), 'utf8');
    for (const location of ['location = /mcp {', 'location ^~ /mcp/ {']) {
      const block = template.slice(template.indexOf(location), template.indexOf('}', template.indexOf(location)));
      const size = /client_max_body_size (\d+)([km]?);/.exec(block);
      assert.ok(size, `${location} has no client_max_body_size`);
      assert.equal(Number(size[1]) * ({ k: 1024, m: 1024 * 1024 }[size[2] as 'k' | 'm'] ?? 1), LIMIT, location);
    }
  });

  it('answers an 8 MB body through the proxy with a JSON 413', async function () {
    if (!proxy) this.skip();
    assertJsonTooLarge(await rawRequest(proxy.port, 'POST', '/mcp', { headers: MCP_HEADERS, body: bodyOf(8 * 1024 * 1024) }), 'Content-Length');
    assertJsonTooLarge(await rawRequest(proxy.port, 'POST', '/mcp', { headers: MCP_HEADERS, body: bodyOf(8 * 1024 * 1024), chunked: true }), 'chunked');
    assertJsonTooLarge(await rawRequest(proxy.port, 'POST', '/mcp/', { headers: MCP_HEADERS, body: bodyOf(8 * 1024 * 1024) }), '/mcp/');
    // A client on a slower link: the proxy is still sending the body when the sidecar has answered.
    assertJsonTooLarge(await rawRequest(proxy.port, 'POST', '/mcp', { headers: MCP_HEADERS, body: bodyOf(8 * 1024 * 1024), paceMs: 2 }), 'paced');
    assertJsonTooLarge(await rawRequest(proxy.port, 'POST', '/mcp', { headers: MCP_HEADERS, body: bodyOf(8 * 1024 * 1024), chunked: true, paceMs: 2 }), 'paced, chunked');
  });

  it('passes a body just under the limit through the proxy to the sidecar', async function () {
    if (!proxy) this.skip();
    const res = await rawRequest(proxy.port, 'POST', '/mcp', { headers: MCP_HEADERS, body: bodyOf(LIMIT - 16) });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.match(res.text, /"login":\s*"alice"/, 'relayed to Odoo and answered'); // the stand-in's whoami takes any arguments
  });

  it('answers an 8 MB body sent straight to the sidecar with a JSON 413', async () => {
    const port = Number(new URL(stack.sidecar.url).port);
    assertJsonTooLarge(await rawRequest(port, 'POST', '/mcp', { headers: MCP_HEADERS, body: bodyOf(8 * 1024 * 1024) }), 'Content-Length');
    assertJsonTooLarge(await rawRequest(port, 'POST', '/mcp', { headers: MCP_HEADERS, body: bodyOf(8 * 1024 * 1024), chunked: true }), 'chunked');
    assertJsonTooLarge(await rawRequest(port, 'POST', '/mcp', { headers: MCP_HEADERS, body: bodyOf(8 * 1024 * 1024), chunked: true, paceMs: 2 }), 'paced, chunked');
  });

  it('answers /mcp with a JSON error when the sidecar is down behind the proxy', async function () {
    if (!NGINX) this.skip();
    const gone = await startProxy({ odoo: (_req, res) => res.end('odoo'), sidecar: 1 }); // nothing listens on port 1
    try {
      const res = await rawRequest(gone.port, 'POST', '/mcp', { headers: MCP_HEADERS, body: '{}' });
      assert.equal(res.status, 502);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal((JSON.parse(res.text) as { error: { code: number } }).error.code, -32603);
    } finally {
      await gone.close();
    }
  });
});
