// Requests nginx refuses itself, before any location or upstream sees them (a NUL byte in a header, a header or
// URL over its buffers, a header line it cannot parse, a body it cannot read): the real nginx with the stack's
// routes answers them with a JSON-RPC error body, as the sidecar answers what Node cannot parse, not nginx's HTML
// page. A path the sidecar does not serve (`/mcp//`) stays the sidecar's JSON answer, and one that only looks
// like /mcp (`/mcpx`) gets JSON too when Odoo has nothing there.

import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
    // Odoo: a website page at /mcp-guide, its HTML "not found" page everywhere else
    const odoo = (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/mcp-guide') return res.end('odoo page');
      res.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body>Odoo: 404 Not Found</body></html>');
    };
    proxy = await startProxy({ odoo, sidecar: Number(new URL(stack.sidecar.url).port) });
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

  it('deploy answers a malformed chunked body, an unknown Transfer-Encoding and HTTP/2.0 in plain text with a JSON-RPC error, not its HTML page', async () => {
    const port = proxy!.port;
    // a chunk size that is not hexadecimal: the /mcp locations stream the body and find it only then (red team
    // 2026-12-02: nginx's HTML 400), the Odoo routes read it first
    for (const target of ['/mcp', '/mcp/x', '/web/login']) {
      const res = await rawRequest(port, 'POST', target, {
        headers: { ...MCP_HEADERS, 'Transfer-Encoding': 'chunked' }, body: 'zz\r\n{}\r\n0\r\n\r\n', rawBody: true });
      assertJsonError(res, 400, `malformed chunked body on POST ${target}`);
    }
    assertJsonError(await rawRequest(port, 'POST', '/mcp', { headers: { ...MCP_HEADERS, 'Transfer-Encoding': 'gzip' }, body: BODY, rawBody: true }),
      501, 'Transfer-Encoding: gzip');
    assertJsonError(await rawRequest(port, 'GET', '/mcp', { version: 'HTTP/2.0' }), 505, 'HTTP/2.0 without TLS');
  });

  it('deploy answers paths that only look like /mcp (/mcpx, /mcp;x, /MCP) with a JSON-RPC 404 when Odoo has nothing there', async () => {
    for (const target of ['/mcpx', '/mcp;x', '/mcp.', '/MCP', '/Mcp/', '/mcp%3b']) {
      for (const method of ['GET', 'POST']) {
        const res = await rawRequest(proxy!.port, method, target, { headers: MCP_HEADERS, ...(method === 'POST' ? { body: BODY } : {}) });
        assertJsonError(res, 404, `${method} ${target}`);
      }
    }
    // Odoo's own pages there are Odoo's (a website page, another module's route)
    const page = await rawRequest(proxy!.port, 'GET', '/mcp-guide');
    assert.equal(page.text, 'odoo page');
  });

  it('deploy leaves the answer to POST /mcp// to the sidecar, as JSON', async () => {
    const res = await rawRequest(proxy!.port, 'POST', '/mcp//', { headers: MCP_HEADERS, body: BODY });
    assert.match(String(res.headers['content-type']), /^application\/json/, `${res.status} ${res.text.slice(0, 200)}`);
    assert.doesNotMatch(res.text, /<html/i);
  });
});
