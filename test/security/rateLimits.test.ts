// Rate limits are Odoo's (docs/contract.md: 429 rate_limited): the sidecar relays every call, and answers a refused
// one with the JSON-RPC error RATE_LIMITED (-32005, data.retryAfter) clients read, plus HTTP 429 and Retry-After
// where the whole HTTP request is refused (a single 2026-07-28 message). Checked against the contract stand-in,
// which counts calls in a 60-second window as the addon does.

import assert from 'node:assert/strict';
import { KEYS, type StandInKey } from '../support/odooStandIn.js';
import { connect1x, connect2x } from '../support/clients.js';
import { legacy, modern, post } from '../support/rawMcp.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';
import { RATE_LIMITED } from '../../sidecar/src/errorMapping.js';

const LIMITED: StandInKey = { key: 'c4c4e0f4b7d94e2f8a6b5c4d3e2f1a0b9c8d7e6f', id: 31, userId: 2, name: 'limited', scope: 'mcp',
  readOnly: false, allowedTools: null, callsPerMinute: 3 };
const OTHER = KEYS[2]!; // Bob's key, another user

describe('rate limits (Odoo counts; the sidecar maps its 429)', () => {
  const stack = sidecarOnStandIn({}, { eachTest: true, standIn: { keys: [...KEYS, LIMITED] } });

  const whoami = (key: string, id: number) => modern(key, id, 'tools/call', { name: 'whoami', arguments: {} });

  it('refuses a single 2026-07-28 call over the limit with HTTP 429, Retry-After and a JSON-RPC error', async () => {
    for (let i = 1; i <= 3; i++) assert.equal((await post(stack.sidecar.mcpUrl, ...whoami(LIMITED.key, i))).status, 200);
    const refused = await post(stack.sidecar.mcpUrl, ...whoami(LIMITED.key, 4));
    assert.equal(refused.status, 429, refused.text);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
    assert.equal(refused.json.id, 4);
    assert.equal(refused.json.error.code, RATE_LIMITED);
    assert.deepEqual(refused.json.error.data, { reason: 'rate_limited', retryAfter, name: 'whoami' });
    assert.match(refused.json.error.message, new RegExp(`This key may make 3 calls a minute.*Retry in ${retryAfter} s`));
    // Odoo's words (the contract fixture call-rate-limited-key), passed on as they are
    assert.match(refused.json.error.message, /^Rate limit reached: This key may make 3 calls a minute\. Nothing was run\. Retry in \d+ s; if a loop is calling, stop it\.$/);
    assert.deepEqual(stack.odoo.audit.map((r) => r.outcome), ['ok', 'ok', 'ok', 'rate_limited']);
    // another user's key in the same second is unaffected
    const other = await post(stack.sidecar.mcpUrl, ...whoami(OTHER.key, 5));
    assert.equal(other.status, 200);
    assert.equal(other.json.result.structuredContent.login, 'bob');
  });

  it('answers a 2025-era call over the limit with the JSON-RPC error in its 200 SSE stream (the status went out first)', async () => {
    const call = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    for (let i = 1; i <= 3; i++) await post(stack.sidecar.mcpUrl, call(i), legacy(LIMITED.key));
    const refused = await post(stack.sidecar.mcpUrl, call(4), legacy(LIMITED.key));
    assert.equal(refused.status, 200);
    assert.equal(refused.json.error.code, RATE_LIMITED);
    assert.ok(refused.json.error.data.retryAfter >= 1);
  });

  it('gives the SDK clients an error they surface: the 1.x client an McpError with the wait, the 2.x client the 429', async () => {
    stack.odoo.rateLimits.userCalls = 2; // Alice's every key
    const alice = KEYS[0]!.key;
    const client1 = await connect1x(stack.sidecar.mcpUrl, alice, '2025-11-25');
    await client1.callTool({ name: 'whoami', arguments: {} });
    await client1.callTool({ name: 'whoami', arguments: {} });
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
    assert.deepEqual(stack.odoo.audit.map((r) => r.outcome), ['ok', 'ok', 'rate_limited', 'rate_limited']);
  });

  it('relays every refused call to Odoo, which audits each (hammering is not answered from the sidecar)', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => post(stack.sidecar.mcpUrl, ...whoami(LIMITED.key, i + 1))));
    assert.deepEqual(answers.map((a) => a.status).sort(), [...Array(3).fill(200), ...Array(9).fill(429)]);
    assert.equal(stack.odoo.audit.length, 12);
    assert.equal(stack.odoo.audit.filter((r) => r.outcome === 'rate_limited').length, 9);
  });

  it("relays Odoo's refusal of a call over its user's calls running at once: HTTP 429, Retry-After, -32005, one audit row each", async () => {
    stack.odoo.runningPerUser = 2;
    const slow = (key: string, id: number) => post(stack.sidecar.mcpUrl, ...modern(key, id, 'tools/call', { name: 'slow_echo', arguments: { ms: 700 } }));
    // Alice's two keys, three calls at once (within each key's share of the sidecar): Odoo runs two
    const answers = await Promise.all([slow(KEYS[0]!.key, 1), slow(KEYS[0]!.key, 2), slow(LIMITED.key, 3)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 429], answers.map((a) => a.text).join('\n'));
    const refused = answers.find((a) => a.status === 429)!;
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(refused.json.error.code, RATE_LIMITED);
    assert.deepEqual(refused.json.error.data, { reason: 'rate_limited', retryAfter: 1, name: 'slow_echo' });
    assert.match(refused.json.error.message, /^You already have 2 calls running at once, the most allowed here: this call was not run\./);
    assert.deepEqual(stack.odoo.audit.map((r) => r.outcome).sort(), ['ok', 'ok', 'too_many_running']);
    // another user meanwhile, and Alice once her calls ended
    const [bob] = await Promise.all([slow(OTHER.key, 4), slow(KEYS[0]!.key, 5), slow(KEYS[0]!.key, 6)]);
    assert.equal(bob.status, 200, bob.text);
    assert.equal((await slow(KEYS[0]!.key, 7)).status, 200);
  });

  it('bounds the wait it passes on to the 60 s window, whatever Odoo sends', async () => {
    const { readErrorBody } = await import('../../sidecar/src/odoo/contract.js');
    assert.equal(readErrorBody({ error: { code: 'rate_limited', message: 'x', retry_after: 1e9 } })?.retryAfter, 60);
    assert.equal(readErrorBody({ error: { code: 'rate_limited', message: 'x', retry_after: -5 } })?.retryAfter, 1);
    assert.equal(readErrorBody({ error: { code: 'rate_limited', message: 'x', retry_after: 2.2 } })?.retryAfter, 3);
  });
});
