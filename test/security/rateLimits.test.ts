// Rate limits are Odoo's (docs/contract.md: 429 rate_limited; the window, the limits and what counts are proven by
// the addon's TestRateLimits): the sidecar relays every call, and answers a refused one with the JSON-RPC error
// RATE_LIMITED (-32005, data.retryAfter) clients read, plus HTTP 429 and Retry-After where the whole HTTP request
// is refused (a single 2026-07-28 message). The stand-in answers with Odoo's recorded refusals (call-rate-limited-*).

import assert from 'node:assert/strict';
import { ALICE_KEY } from '../support/odooStandIn.js';
import { connect1x, connect2x } from '../support/clients.js';
import { errorMessage } from '../support/contractFiles.js';
import { legacy, modern, post } from '../support/rawMcp.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';
import { RATE_LIMITED } from '../../sidecar/src/errorMapping.js';

describe('rate limits (Odoo counts; the sidecar maps its 429)', () => {
  const stack = sidecarOnStandIn({}, { eachTest: true });

  const whoami = (key: string, id: number) => modern(key, id, 'tools/call', { name: 'whoami', arguments: {} });

  it('refuses a single 2026-07-28 call over the limit with HTTP 429, Retry-After and a JSON-RPC error', async () => {
    assert.equal((await post(stack.sidecar.mcpUrl, ...whoami(ALICE_KEY, 1))).status, 200);
    stack.odoo.serve('whoami', 'call-rate-limited-key');
    const refused = await post(stack.sidecar.mcpUrl, ...whoami(ALICE_KEY, 2));
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.headers.get('retry-after'), '60');
    assert.equal(refused.json.id, 2);
    assert.equal(refused.json.error.code, RATE_LIMITED);
    assert.deepEqual(refused.json.error.data, { reason: 'rate_limited', retryAfter: 60, name: 'whoami' });
    // Odoo's words, passed on as they are
    assert.equal(refused.json.error.message, errorMessage('call-rate-limited-key'));
    assert.deepEqual(stack.odoo.audit.map((r) => r.outcome), ['ok', 'rate_limited']);
  });

  it('answers a 2025-era call over the limit with the JSON-RPC error in its 200 SSE stream (the status went out first)', async () => {
    const call = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    stack.odoo.serve('whoami', 'call-rate-limited-key');
    const refused = await post(stack.sidecar.mcpUrl, call(4), legacy(ALICE_KEY));
    assert.equal(refused.status, 200);
    assert.equal(refused.json.error.code, RATE_LIMITED);
    assert.ok(refused.json.error.data.retryAfter >= 1);
  });

  it('gives the SDK clients an error they surface: the 1.x client an McpError with the wait, the 2.x client the 429', async () => {
    stack.odoo.serve('whoami', 'call-rate-limited-user', 'call-rate-limited-user');
    const alice = ALICE_KEY;
    const client1 = await connect1x(stack.sidecar.mcpUrl, alice, '2025-11-25');
    await assert.rejects(client1.callTool({ name: 'whoami', arguments: {} }), (err: Error & { code?: number; data?: { retryAfter?: number } }) => {
      assert.equal(err.code, RATE_LIMITED);
      assert.ok((err.data?.retryAfter ?? 0) >= 1);
      assert.match(err.message, /over all your keys and apps.*Retry in \d+ s/);
      return true;
    });
    await client1.close();
    const client2 = await connect2x(stack.sidecar.mcpUrl, alice, '2026-07-28');
    await assert.rejects(client2.callTool({ name: 'whoami', arguments: {} }), (err: Error) => {
      // the 2.x client (2.4) reads a JSON-RPC error body on HTTP 400 only: on 429 it fails with the body as text
      assert.match(err.message, /Rate limit reached.*Retry in \d+ s/);
      return true;
    });
    await client2.close();
    assert.deepEqual(stack.odoo.audit.map((r) => r.outcome), ['rate_limited', 'rate_limited']);
  });

  it('relays every refused call to Odoo, which audits each (hammering is not answered from the sidecar)', async () => {
    stack.odoo.serve('whoami', ...Array<string>(9).fill('call-rate-limited-key'));
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => post(stack.sidecar.mcpUrl, ...whoami(ALICE_KEY, i + 1))));
    assert.deepEqual(answers.map((a) => a.status).sort(), [...Array(9).fill(429), ...Array(3).fill(200)].sort());
    assert.equal(stack.odoo.audit.length, 12);
    assert.equal(stack.odoo.audit.filter((r) => r.outcome === 'rate_limited').length, 9);
  });

  it("relays Odoo's refusal of a call over its user's calls running at once: HTTP 429, Retry-After 1, -32005, one audit row", async () => {
    // how many run and whose calls count is Odoo's (TestRunningCap, e2e 95-replicas); the sidecar relays the refusal
    stack.odoo.serve('whoami', 'call-too-many-running');
    const refused = await post(stack.sidecar.mcpUrl, ...whoami(ALICE_KEY, 3));
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(refused.json.error.code, RATE_LIMITED);
    assert.deepEqual(refused.json.error.data, { reason: 'rate_limited', retryAfter: 1, name: 'whoami' });
    assert.equal(refused.json.error.message, errorMessage('call-too-many-running'));
    assert.equal(stack.odoo.audit.length, 1);
  });

  it('bounds the wait it passes on to the 60 s window, whatever Odoo sends', async () => {
    const { readErrorBody } = await import('../../sidecar/src/odoo/contract.js');
    assert.equal(readErrorBody({ error: { code: 'rate_limited', message: 'x', retry_after: 1e9 } })?.retryAfter, 60);
    assert.equal(readErrorBody({ error: { code: 'rate_limited', message: 'x', retry_after: -5 } })?.retryAfter, 1);
    assert.equal(readErrorBody({ error: { code: 'rate_limited', message: 'x', retry_after: 2.2 } })?.retryAfter, 3);
  });
});
