// Headers a client controls and the sidecar must not trust or pass on: a fast-path token of its own making
// (only Odoo issues them, to the sidecar), a session id (the server is stateless), forwarding headers, and
// header values too large to parse.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { ALICE_KEY, BOB_KEY } from '../support/odooStandIn.js';
import { legacy, modern, post } from '../support/rawMcp.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';

describe('attacks with headers the client forges', () => {
  const stack = sidecarOnStandIn();
  const whoami = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } });

  it('never passes a client-sent X-LLM-MCP-Token (or any other client header) on to Odoo', async () => {
    const forged = `11.2.${Math.floor(Date.now() / 1000) + 600}.${'0'.repeat(64)}`;
    const seen = stack.odoo.headersSeen.length;
    const forgedHeaders = {
      'X-LLM-MCP-Token': forged, 'X-Forwarded-For': '10.0.0.1', 'X-Forwarded-Host': 'stack.odoo.internal', Cookie: 'session_id=stolen',
      'X-Openerp-Session-Id': 'stolen',
    };
    const [body, headers] = modern(BOB_KEY, 1, 'tools/call', { name: 'whoami', arguments: {} });
    assert.equal((await post(stack.sidecar.mcpUrl, body, { ...headers, ...forgedHeaders })).status, 200);
    assert.equal((await post(stack.sidecar.mcpUrl, whoami(2), { ...legacy(ALICE_KEY), ...forgedHeaders })).status, 200);
    const relayed = stack.odoo.headersSeen.slice(seen);
    assert.ok(relayed.length >= 3, 'identity, tools and calls reached the stand-in');
    for (const h of relayed) {
      assert.notEqual(h['x-llm-mcp-token'], forged, 'a client-sent token reached Odoo');
      for (const name of ['x-forwarded-for', 'x-forwarded-host', 'cookie', 'x-openerp-session-id']) assert.equal(h[name], undefined, name);
    }
  });

  it('takes a client-sent Mcp-Session-Id only as the scope of its cancellations (any replica, any id) and sends none back', async () => {
    const a = await post(stack.sidecar.mcpUrl, whoami(3), { ...legacy(ALICE_KEY), 'Mcp-Session-Id': 'someone-elses-session' });
    assert.equal(a.status, 200);
    assert.equal(a.json.result.isError, false);
    assert.equal(a.headers.get('mcp-session-id'), null);
  });

  it('answers a header too large to parse with 431, and keeps serving', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(stack.sidecar.mcpUrl, { method: 'POST', headers: { ...legacy(ALICE_KEY), 'X-Pad': 'x'.repeat(64 * 1024), 'Content-Type': 'application/json' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify(whoami(4)));
    });
    assert.equal(status, 431);
    assert.equal((await post(stack.sidecar.mcpUrl, whoami(5), legacy(ALICE_KEY))).json.result.isError, false);
  });

  it('takes a huge Authorization value as a refused key, once, without keeping it', async () => {
    const huge = 'k'.repeat(8000);
    const before = stack.odoo.counts.unauthorized;
    for (let i = 0; i < 3; i++) assert.equal((await post(stack.sidecar.mcpUrl, whoami(6), legacy(huge))).status, 401);
    assert.equal(stack.odoo.counts.unauthorized - before, 1);
    assert.ok(!stack.sidecar.logs.join('').includes(huge));
  });
});
