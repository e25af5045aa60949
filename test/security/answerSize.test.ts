// Answers from Odoo are read up to ODOO_MAX_ANSWER_BYTES: a bigger one (a huge search result, a runaway tool,
// something else than Odoo at ODOO_URL) is not buffered and parsed whole, it is cut off while it streams in,
// and the client is told plainly that the answer was too large.

import assert from 'node:assert/strict';
import { ALICE_KEY } from '../support/odooStandIn.js';
import { legacy, post } from '../support/rawMcp.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';

describe('attacks with oversized answers from Odoo', () => {
  const LIMIT = 65_536;
  const call = (id: number, name: string, args: unknown) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
  const stack = sidecarOnStandIn({ ODOO_MAX_ANSWER_BYTES: String(LIMIT) }, { eachTest: true });

  it('relays an answer just under ODOO_MAX_ANSWER_BYTES whole', async () => {
    const a = await post(stack.sidecar.mcpUrl, call(1, 'big_answer', { bytes: LIMIT / 2 - 200 }), legacy(ALICE_KEY));
    assert.equal(a.json.result.isError, false);
    assert.equal(a.json.result.structuredContent.data.length, LIMIT / 2 - 200);
  });

  it('refuses a tool answer over ODOO_MAX_ANSWER_BYTES with a tool error saying it was too large', async () => {
    const a = await post(stack.sidecar.mcpUrl, call(2, 'big_answer', { bytes: LIMIT }), legacy(ALICE_KEY));
    assert.equal(a.status, 200);
    assert.equal(a.json.result.isError, true, a.text.slice(0, 300));
    assert.equal(a.json.result.structuredContent, undefined);
    const text: string = a.json.result.content[0].text;
    assert.match(text, /too large/);
    assert.match(text, new RegExp(`${LIMIT} bytes`));
    assert.match(text, /ran/, 'the model must know the call ran in Odoo (a write is not undone)');
    assert.ok(a.text.length < 2000, `the client got ${a.text.length} bytes`);
    assert.equal((await post(stack.sidecar.mcpUrl, call(3, 'whoami', {}), legacy(ALICE_KEY))).json.result.isError, false);
  });

  it('stops reading a streamed answer over the limit and drops the connection to Odoo', async () => {
    const started = Date.now();
    const a = await post(stack.sidecar.mcpUrl, call(4, 'endless_answer', {}), legacy(ALICE_KEY));
    assert.equal(a.json.result.isError, true);
    assert.match(a.json.result.content[0].text, /too large/);
    for (let i = 0; i < 100 && stack.odoo.endlessCut === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(stack.odoo.endlessCut, 1, 'the sidecar kept the connection to Odoo open');
    assert.ok(Date.now() - started < 5000);
  });

  it('refuses an identity or tool list over the limit with a JSON-RPC error saying it was too large', async () => {
    stack.odoo.extraToolDescription = 'x'.repeat(LIMIT);
    const list = await post(stack.sidecar.mcpUrl, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, legacy(ALICE_KEY));
    assert.equal(list.json.error.code, -32603);
    assert.match(list.json.error.message, /too large/);
    assert.ok(!list.text.includes(stack.odoo.url));
  });
});
