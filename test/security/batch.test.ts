// A 2025-03-26 JSON-RPC batch is many MCP requests in one HTTP request: it is bounded (at most 16 messages),
// and each call in it takes its turn in the key's share of Odoo like any other.

import assert from 'node:assert/strict';
import { ALICE_KEY } from '../support/odooStandIn.js';
import { legacy, post } from '../support/rawMcp.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';

describe('attacks with JSON-RPC batches (2025-03-26)', () => {
  const stack = sidecarOnStandIn();

  const calls = (n: number, ms: number) =>
    Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: `b-${n}-${i}`, method: 'tools/call', params: { name: 'slow_echo', arguments: { ms } } }));

  it('refuses a batch of 100 tools/call with HTTP 400 and a JSON-RPC error, relaying none of them', async () => {
    const before = stack.odoo.counts.call;
    const a = await post(stack.sidecar.mcpUrl, calls(100, 0), legacy(ALICE_KEY, '2025-03-26'));
    assert.equal(a.status, 400);
    assert.equal(a.json.error.code, -32600);
    assert.match(a.json.error.message, /at most 16 messages/);
    assert.equal(stack.odoo.counts.call, before);
  });

  it("serves a batch of 16, each call taking its turn in the key's share of Odoo", async () => {
    const a = await post(stack.sidecar.mcpUrl, calls(16, 100), legacy(ALICE_KEY, '2025-03-26'));
    assert.equal(a.status, 200);
    const answered = a.text.split('\n').filter((l) => l.startsWith('data: ') && l.includes('"slept":100'));
    assert.equal(answered.length, 16);
    assert.equal(stack.odoo.peakOpenCalls.get(11), 4);
  });
});
