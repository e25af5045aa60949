// When Odoo is down, slow, confused or another database: a clear error (naming Odoo's URL in the log, never to
// the client: test/security/internalAddress.test.ts), the sidecar stays up, and it recovers by itself. Timeouts reach Odoo as an
// abandoned HTTP request; a cancellation also as Odoo's `cancel` (test/sidecar/replicas.test.ts).

import assert from 'node:assert/strict';
import { errorMessage } from '../support/contractFiles.js';
import { ALICE_KEY, BOB_KEY } from '../support/odooStandIn.js';
import { connect2x } from '../support/clients.js';
import { legacy, post } from '../support/rawMcp.js';
import { sidecarOnStandIn, startSidecar } from '../support/sidecarHarness.js';

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Odoo trouble, timeouts and cancellation', () => {
  const whoami = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } };
  const stack = sidecarOnStandIn({ TOOL_CALL_TIMEOUT_MS: '1500', ODOO_TIMEOUT_MS: '1500' }, { eachTest: true });

  it('reports Odoo stopped mid-session, then recovers when it is back', async () => {
    const client = await connect2x(stack.sidecar.mcpUrl, ALICE_KEY, '2025-11-25');
    try {
      assert.equal((await client.callTool({ name: 'whoami', arguments: {} })).isError, false);
      await stack.odoo.stop();
      // Identity still cached: the error comes from the relayed call, as JSON-RPC.
      await assert.rejects(client.callTool({ name: 'whoami', arguments: {} }), (err: Error) => {
        assert.match(err.message, /^Odoo is unreachable \((ECONNREFUSED: connection refused|ECONNRESET: connection reset)\)$/);
        return true;
      });
      // A key not seen before: the identity check fails, answered as HTTP 503 with the same clear message.
      const fresh = await post(stack.sidecar.mcpUrl, whoami, legacy(BOB_KEY));
      assert.equal(fresh.status, 503);
      assert.match(fresh.json.error.message, /^Odoo is unreachable \(ECONNREFUSED: connection refused\)$/);
      const ready = await fetch(`${stack.sidecar.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal((await fetch(`${stack.sidecar.url}/healthz`)).status, 200);

      await stack.odoo.start();
      assert.deepEqual((await client.callTool({ name: 'whoami', arguments: {} })).structuredContent, { user_id: 2, login: 'alice' });
      assert.equal((await post(stack.sidecar.mcpUrl, whoami, legacy(BOB_KEY))).status, 200);
      assert.equal((await fetch(`${stack.sidecar.url}/readyz`)).status, 200);
    } finally {
      await client.close();
    }
  });

  it('reports garbage from Odoo as an answer it cannot read', async () => {
    stack.odoo.mode = 'garbage';
    const a = await post(stack.sidecar.mcpUrl, whoami, legacy(ALICE_KEY));
    assert.equal(a.status, 502);
    assert.match(a.json.error.message, /^Odoo gave an answer the sidecar cannot read \(not JSON\)$/);
    stack.odoo.mode = 'error';
    const b = await post(stack.sidecar.mcpUrl, whoami, legacy(ALICE_KEY));
    assert.equal(b.status, 502);
    assert.match(b.json.error.message, /^Odoo answered with an error \(HTTP 500 internal_error: Something went wrong in Odoo\)$/);
    stack.odoo.mode = 'normal';
    assert.equal((await post(stack.sidecar.mcpUrl, whoami, legacy(ALICE_KEY))).json.result.isError, false);
  });

  it('gives up on a slow tool call after TOOL_CALL_TIMEOUT_MS and abandons the request to Odoo', async () => {
    const started = Date.now();
    const a = await post(stack.sidecar.mcpUrl, { jsonrpc: '2.0', id: 'slow-1', method: 'tools/call', params: { name: 'slow_echo', arguments: { ms: 10_000 } } }, legacy(ALICE_KEY));
    assert.ok(Date.now() - started < 5000);
    assert.equal(a.json.error.code, -32603);
    assert.match(a.json.error.message, /^Odoo did not answer in time \(no answer within 1500 ms\)$/);
    assert.ok(stack.sidecar.logs.some((l) => l.includes(`Odoo at ${stack.odoo.url} did not answer in time`)), 'the log names the URL');
    await waitFor(() => stack.odoo.cancellations.includes('slow-1'));
  });

  it('aborts the call to Odoo when the client goes away', async () => {
    const controller = new AbortController();
    const pending = fetch(stack.sidecar.mcpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...legacy(ALICE_KEY) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'gone-1', method: 'tools/call', params: { name: 'slow_echo', arguments: { ms: 10_000 } } }),
      signal: controller.signal,
    }).catch(() => undefined);
    await waitFor(() => stack.odoo.calls.some((c) => c.request_id === 'gone-1'));
    controller.abort();
    await pending;
    await waitFor(() => stack.odoo.cancellations.includes('gone-1'));
  });

  it('tells Odoo to stop the call on notifications/cancelled (2.x client, request aborted), which Odoo audits', async () => {
    const client = await connect2x(stack.sidecar.mcpUrl, ALICE_KEY, '2025-11-25');
    try {
      const controller = new AbortController();
      const call = client.callTool({ name: 'slow_echo', arguments: { ms: 10_000 } }, { signal: controller.signal });
      await waitFor(() => stack.odoo.calls.some((c) => c.name === 'slow_echo'));
      const relayed = stack.odoo.calls.find((c) => c.name === 'slow_echo')!;
      stack.odoo.serveCancel(String(relayed.request_id), 'cancel'); // Odoo finds it running, and stops it
      controller.abort('user pressed stop');
      await assert.rejects(call);
      // with the caller's key, the call's id and the scope it was relayed with (the client's session)
      await waitFor(() => stack.odoo.cancelRequests.length === 1);
      assert.deepEqual(stack.odoo.cancelRequests, [{ userId: 2, keyId: 11, requestId: relayed.request_id, scope: relayed.cancel_scope }]);
      assert.match(String(relayed.cancel_scope), /^session:[\w-]{22}\|n$/);
      // the call is not withdrawn: Odoo's answer to it (409, audited) is the call's end
      await waitFor(() => stack.odoo.audit.some((r) => r.request_id === relayed.request_id));
      assert.deepEqual(stack.odoo.audit.filter((r) => r.request_id === relayed.request_id).map((r) => r.outcome), ['cancelled']);
    } finally {
      await client.close();
    }
  });

  it("sends another user's notifications/cancelled naming someone's call with that user's key, and still answers the call", async () => {
    const aliceCall = post(stack.sidecar.mcpUrl,
      { jsonrpc: '2.0', id: 'same-id', method: 'tools/call', params: { name: 'slow_echo', arguments: { ms: 1000 } } }, legacy(ALICE_KEY));
    // Request ids are only unique per client: bob's notification with the same id must not touch alice's call.
    await waitFor(() => stack.odoo.calls.filter((c) => c.request_id === 'same-id').length === 1);
    const cancel = await post(
      stack.sidecar.mcpUrl,
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'same-id', reason: 'stop' } },
      legacy(BOB_KEY),
    );
    assert.equal(cancel.status, 202);
    // bob's own key, so Odoo finds no call of his (its refusal: TestCancelRoute.test_cancels_only_the_callers_own_call)
    await waitFor(() => stack.odoo.cancelRequests.length === 1);
    assert.deepEqual(stack.odoo.cancelRequests, [{ userId: 6, keyId: 21, requestId: 'same-id' }]);
    // and the sidecar, which relays alice's call, did not stop waiting for it
    const answer = await aliceCall;
    assert.deepEqual(answer.json?.result?.structuredContent, { slept: 1000 }, answer.text);
  });

  it('logs a cancellation Odoo refuses, without the key, and still takes the notification (202)', async () => {
    stack.odoo.serveCancel('refused-1', 'cancel-bad-request');
    const notice = await post(stack.sidecar.mcpUrl,
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'refused-1', reason: 'stop' } }, legacy(ALICE_KEY));
    assert.equal(notice.status, 202);
    await waitFor(() => stack.sidecar.logs.some((l) => l.includes('cancellation not delivered to Odoo')));
    const line = stack.sidecar.logs.find((l) => l.includes('cancellation not delivered to Odoo'))!;
    assert.ok(line.includes('bad_request'), line);
    assert.ok(!line.includes(ALICE_KEY), 'the key was logged');
  });

  it('refuses to serve when Odoo is another database than ODOO_DB', async () => {
    const strict = await startSidecar(stack.odoo.url, { ODOO_DB: 'production' });
    try {
      const a = await post(strict.mcpUrl, whoami, legacy(ALICE_KEY));
      assert.equal(a.status, 502);
      assert.match(a.json.error.message, /another Odoo database than the one it is configured for \(ODOO_DB\)/);
      assert.ok(strict.logs.some((l) => l.includes('serves database \\"standin\\", but ODOO_DB is \\"production\\"')), strict.logs.join(''));
      const ready = await fetch(`${strict.url}/readyz`);
      assert.equal(ready.status, 503);
    } finally {
      await strict.close();
    }
  });

  it('says when MCP is switched off in Odoo', async () => {
    stack.odoo.mcpEnabled = false;
    const a = await post(stack.sidecar.mcpUrl, whoami, legacy(ALICE_KEY));
    assert.equal(a.status, 403);
    assert.equal(a.json.error.message, errorMessage('tools-mcp-disabled'), "Odoo's own words");
  });

  it('answers /readyz with what Odoo reports when all is well', async () => {
    const res = await fetch(`${stack.sidecar.url}/readyz`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; odoo: { database: string; url: string } };
    assert.equal(body.status, 'ready');
    assert.equal(body.odoo.database, 'standin');
    assert.equal(body.odoo.url, stack.odoo.url);
  });
});
