// Two sidecars relaying to one Odoo (the contract stand-in), as behind a load balancer: a client may reach a
// different replica with every request. A cancellation reaches Odoo whichever replica gets it, with the sender's
// own key and the call's request id and scope; which call it stops is Odoo's decision (TestCancelRoute,
// test/e2e-real/65-cancellation.test.ts), here the test's (`serveCancel`). Revocation, confirmations and rate
// limits hold whichever replica serves each request (Odoo decides them; no replica keeps state another would need).

import assert from 'node:assert/strict';
import { Client as Client1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as Transport1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ALICE_KEY, ALICE_READ_ONLY_KEY, BOB_KEY, OdooStandIn } from '../support/odooStandIn.js';
import { legacy, modern, post } from '../support/rawMcp.js';
import { startSidecar, type RunningSidecar } from '../support/sidecarHarness.js';

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const slowCall = (id: string, ms = 8000) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow_echo', arguments: { ms } } });
const cancelled = (requestId: string) => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'stop' } });

describe('two sidecars on one Odoo', () => {
  let odoo: OdooStandIn;
  let a: RunningSidecar;
  let b: RunningSidecar;

  beforeEach(async () => {
    odoo = new OdooStandIn();
    await odoo.start();
    // a short identity cache, so how long a revoked key lasts on a replica can be measured here
    a = await startSidecar(odoo.url, { AUTH_CACHE_TTL_MS: '1000' });
    b = await startSidecar(odoo.url, { AUTH_CACHE_TTL_MS: '1000' });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await odoo.stop();
  });

  /** Starts a 2025-era call on `sidecar` and waits until Odoo runs it; `answer` is its raw answer to come. */
  async function runningCall(sidecar: RunningSidecar, id: string, ms = 8000) {
    const started = Date.now();
    const answer = post(sidecar.mcpUrl, slowCall(id, ms), legacy(ALICE_KEY)).then((r) => ({ ...r, ms: Date.now() - started }));
    await waitFor(() => odoo.calls.some((c) => c.request_id === id));
    return { answer };
  }

  describe('cancellation', () => {
    it('stops a call relayed by A when notifications/cancelled reaches B, and sends no response for it', async () => {
      const call = await runningCall(a, 'c-1');
      odoo.serveCancel('c-1', 'cancel'); // Odoo finds it running, and stops it
      const notice = await post(b.mcpUrl, cancelled('c-1'), legacy(ALICE_KEY));
      assert.equal(notice.status, 202);
      const answer = await call.answer;
      assert.ok(answer.ms < 3000, `the call ran on for ${answer.ms} ms`);
      // the call's SSE stream ends without a JSON-RPC message (the spec: no response to a cancelled request)
      assert.equal(answer.status, 200);
      assert.equal(answer.json, undefined, answer.text);
      // B sent it with the caller's own key and the call's id (no session: no scope); A relayed Odoo's 409 as nothing
      assert.deepEqual(odoo.cancelRequests, [{ userId: 2, keyId: 11, requestId: 'c-1' }]);
      assert.deepEqual(odoo.audit.filter((r) => r.request_id === 'c-1').map((r) => r.outcome), ['cancelled']);
      await waitFor(() => b.logs.some((l) => l.includes('"outcome":"cancelled_call"')));
    });

    it("sends another user's, or another key's, cancellation of someone's call with its own key, and still answers the call", async () => {
      const call = await runningCall(a, 'c-2', 2000);
      for (const [sidecar, key] of [[b, BOB_KEY], [a, BOB_KEY], [b, ALICE_READ_ONLY_KEY], [a, ALICE_READ_ONLY_KEY]] as const) {
        assert.equal((await post(sidecar.mcpUrl, cancelled('c-2'), legacy(key))).status, 202);
      }
      await waitFor(() => odoo.cancelRequests.length === 4);
      // each with its sender's credential, so Odoo finds none of alice's calls by it (Odoo's refusal:
      // TestCancelRoute.test_cancels_only_the_callers_own_call, test/e2e-real/65-cancellation.test.ts)
      // (in any order: a notification is answered 202 before its cancellation reaches Odoo)
      assert.deepEqual(odoo.cancelRequests.map((r) => [r.userId, r.keyId, r.requestId]).sort(), [[2, 12, 'c-2'], [2, 12, 'c-2'], [6, 21, 'c-2'], [6, 21, 'c-2']]);
      assert.equal(odoo.audit.filter((r) => r.request_id === 'c-2').length, 0, 'the relay of the call was dropped');
      // and A, which relays the call, did not stop waiting for it: it answers the call with Odoo's result
      const answer = await call.answer;
      assert.deepEqual(answer.json?.result?.structuredContent, { slept: 2000 }, answer.text);
      assert.deepEqual(odoo.audit.filter((r) => r.request_id === 'c-2').map((r) => r.outcome), ['ok']);
    });

    it('cancels a call on its own replica at Odoo too, not only its relay', async () => {
      const call = await runningCall(a, 'c-3');
      odoo.serveCancel('c-3', 'cancel');
      await post(a.mcpUrl, cancelled('c-3'), legacy(ALICE_KEY));
      const answer = await call.answer;
      assert.ok(answer.ms < 3000, `the call ran on for ${answer.ms} ms`);
      assert.equal(answer.json, undefined, answer.text);
      await waitFor(() => odoo.cancelRequests.length === 1);
      assert.deepEqual(odoo.cancelRequests, [{ userId: 2, keyId: 11, requestId: 'c-3' }]);
      assert.deepEqual(odoo.audit.filter((r) => r.request_id === 'c-3').map((r) => r.outcome), ['cancelled']);
    });

    it('tells Odoo to stop a 2026-07-28 call whose client closes its stream (the cancellation of that era)', async () => {
      const [body, headers] = modern(ALICE_KEY, 77, 'tools/call', { name: 'slow_echo', arguments: { ms: 8000 } });
      const controller = new AbortController();
      const pending = fetch(a.mcpUrl, {
        method: 'POST', signal: controller.signal, body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
      }).catch(() => undefined);
      await waitFor(() => odoo.calls.some((c) => c.request_id === '77'));
      odoo.serveCancel('77', 'cancel');
      controller.abort();
      await pending;
      await waitFor(() => odoo.cancelRequests.some((r) => r.requestId === '77'));
      // named by a token the relaying replica minted for this call alone
      assert.deepEqual(odoo.cancelRequests.map(({ scope, ...r }) => [r, /^call:[\w-]{22}$/.test(String(scope))]), [[{ userId: 2, keyId: 11, requestId: '77' }, true]]);
      assert.equal(odoo.calls.find((c) => c.request_id === '77')!.cancel_scope, odoo.cancelRequests[0]!.scope);
      await waitFor(() => odoo.audit.some((r) => r.request_id === '77'));
      assert.deepEqual(odoo.audit.filter((r) => r.request_id === '77').map((r) => r.outcome), ['cancelled']);
    });

    it('leaves a 2025-era call running at Odoo when its client only disconnects (not a cancellation then)', async () => {
      const controller = new AbortController();
      const pending = fetch(a.mcpUrl, {
        method: 'POST', signal: controller.signal, body: JSON.stringify(slowCall('c-4', 600)),
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...legacy(ALICE_KEY) },
      }).catch(() => undefined);
      await waitFor(() => odoo.calls.some((c) => c.request_id === 'c-4'));
      controller.abort();
      await pending;
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(odoo.cancelRequests, [], 'a disconnect was taken for a cancellation');
    });

    it('answers a cancellation of a call that is not running with 202, and Odoo finds nothing', async () => {
      assert.equal((await post(b.mcpUrl, cancelled('never-ran'), legacy(ALICE_KEY))).status, 202);
      await waitFor(() => odoo.cancelRequests.length === 1);
      assert.deepEqual(odoo.cancelRequests, [{ userId: 2, keyId: 11, requestId: 'never-ran' }]);
      // Odoo's `cancel-nothing-running`, as the stand-in answers unless a test chose otherwise
      await waitFor(() => b.logs.some((l) => l.includes('"outcome":"nothing_to_cancel"')));
      const numeric = await post(b.mcpUrl, { ...cancelled('x'), params: { requestId: 12 } }, legacy(ALICE_KEY));
      assert.equal(numeric.status, 202);
      await waitFor(() => odoo.cancelRequests.length === 2);
      assert.equal(odoo.cancelRequests[1]!.requestId, '12');
    });

    it('refuses a malformed notifications/cancelled without asking Odoo anything', async () => {
      for (const params of [{ requestId: { nested: 1 } }, { requestId: [1] }, { requestId: null }]) {
        const answer = await post(b.mcpUrl, { jsonrpc: '2.0', method: 'notifications/cancelled', params }, legacy(ALICE_KEY));
        assert.ok(answer.status === 202 || answer.status === 400, `HTTP ${answer.status}`);
      }
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(odoo.cancelRequests, []);
    });

    it("holds a flood of one key's cancellations to its share of Odoo, while another key's calls pass", async () => {
      odoo.cancelDelayMs = 200;
      const flood = Array.from({ length: 200 }, (_, i) => post(b.mcpUrl, cancelled(`flood-${i}`), legacy(ALICE_KEY)));
      await waitFor(() => odoo.cancelRequests.length >= 4);
      const started = Date.now();
      const other = await post(b.mcpUrl, { jsonrpc: '2.0', id: 'bob-1', method: 'tools/call', params: { name: 'whoami', arguments: {} } }, legacy(BOB_KEY));
      assert.deepEqual(other.json.result.structuredContent, { user_id: 6, login: 'bob' });
      // alice's flood takes 200 × 200 ms / 4 = 10 s at Odoo; bob's call is not queued behind it
      assert.ok(Date.now() - started < 3000, `bob waited ${Date.now() - started} ms behind alice's flood`);
      const statuses = (await Promise.all(flood)).map((r) => r.status);
      assert.ok(statuses.every((st) => st === 202 || st === 429), `unexpected statuses ${[...new Set(statuses)].join(',')}`);
      // each cancellation is a request of its key until Odoo answered it: at most the key's share at once
      assert.ok(odoo.peakOpenCancels <= b.config.odooMaxConcurrencyPerKey, `${odoo.peakOpenCancels} cancellations open at Odoo at once (share ${b.config.odooMaxConcurrencyPerKey})`);
      await waitFor(() => odoo.cancelRequests.length === statuses.filter((st) => st === 202).length, 30_000);
    });

    it('a real 1.x client whose requests alternate between the replicas cancels its call by AbortSignal', async () => {
      const urls = [a.mcpUrl, b.mcpUrl];
      let turn = 0;
      const alternate: typeof fetch = (_input, init) => fetch(urls[turn++ % 2]!, init);
      const transport = new Transport1(new URL(a.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${ALICE_KEY}` } }, fetch: alternate });
      const client = new Client1({ name: 'replica-test-1x', version: '1.32.2' });
      await client.connect(transport);
      try {
        const controller = new AbortController();
        const call = client.callTool({ name: 'slow_echo', arguments: { ms: 8000 } }, undefined, { signal: controller.signal });
        await waitFor(() => odoo.calls.some((c) => c.name === 'slow_echo'));
        const relayedBy = odoo.calls.find((c) => c.name === 'slow_echo')!;
        odoo.serveCancel(String(relayedBy.request_id), 'cancel');
        controller.abort('user pressed stop');
        await assert.rejects(call);
        await waitFor(() => odoo.cancelRequests.length === 1);
        // the session the sidecar issued at initialize, which the client sent to both replicas, scopes it
        const { scope, ...request } = odoo.cancelRequests[0]!;
        assert.deepEqual(request, { userId: 2, keyId: 11, requestId: String(relayedBy.request_id) });
        assert.equal(scope, `session:${transport.sessionId}|n`);
        assert.match(transport.sessionId ?? '', /^[\w-]{22}$/);
        await waitFor(() => odoo.audit.some((r) => r.request_id === relayedBy.request_id));
        assert.deepEqual(odoo.audit.filter((r) => r.request_id === relayedBy.request_id).map((r) => r.outcome), ['cancelled']);
        // the client goes on working through both replicas
        assert.deepEqual((await client.callTool({ name: 'whoami', arguments: {} })).structuredContent, { user_id: 2, login: 'alice' });
        assert.deepEqual((await client.callTool({ name: 'whoami', arguments: {} })).structuredContent, { user_id: 2, login: 'alice' });
      } finally {
        await client.close();
      }
    });
  });

  describe('cancellation scoped by session and call', () => {
    const inSession = (session: string, key = ALICE_KEY) => ({ ...legacy(key), 'Mcp-Session-Id': session });
    const call = (id: string | number, ms = 8000) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow_echo', arguments: { ms } } });
    const cancel = (requestId: string | number) => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'stop' } });

    it('issues a new unguessable Mcp-Session-Id at every initialize, and takes any id on any replica', async () => {
      const init = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
      const ids = new Set<string>();
      for (const sidecar of [a, b, a]) {
        const answer = await post(sidecar.mcpUrl, init, { Authorization: `Bearer ${ALICE_KEY}` });
        assert.equal(answer.status, 200, answer.text);
        ids.add(answer.headers.get('mcp-session-id') ?? '');
      }
      assert.equal(ids.size, 3);
      for (const id of ids) assert.match(id, /^[\w-]{22}$/);
      const list = await post(b.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }, inSession([...ids][0]!));
      assert.equal(list.status, 200, list.text);
      // a malformed session id is refused (the spec: visible ASCII only)
      for (const bad of ['x'.repeat(101), 'a b', 'é']) {
        const refused = await post(b.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }, inSession(bad));
        assert.equal(refused.status, 400, bad);
        assert.equal(refused.json.error.code, -32600);
      }
      // the session's end: nothing to end on a stateless server (the spec allows 405)
      const end = await fetch(a.mcpUrl, { method: 'DELETE', headers: inSession([...ids][0]!) });
      assert.equal(end.status, 405);
    });

    it("names each session's calls and cancellations by that session, so one session's cancellation reaches no other's call with the same id", async () => {
      // two conversations of one key both start at id 1 (what clients do)
      const first = post(a.mcpUrl, call(1, 2000), inSession('session-one'));
      const second = post(b.mcpUrl, call(1, 2000), inSession('session-two'));
      await waitFor(() => odoo.calls.filter((c) => c.request_id === '1').length === 2);
      assert.deepEqual(odoo.calls.map((c) => c.cancel_scope).sort(), ['session:session-one|n', 'session:session-two|n']);
      // session one's cancellation of its call 1 through B, which relays session two's call 1; and session two's of
      // the id "1" through A (JSON-RPC: 1 and "1" are two ids)
      assert.equal((await post(b.mcpUrl, cancel(1), inSession('session-one'))).status, 202);
      assert.equal((await post(a.mcpUrl, cancel('1'), inSession('session-two'))).status, 202);
      await waitFor(() => odoo.cancelRequests.length === 2);
      // Odoo matches the scope exactly (TestCancelRoute.test_sessions_of_one_key_never_cancel_each_others_calls)
      assert.deepEqual(odoo.cancelRequests.map((r) => [r.requestId, r.scope]).sort(), [['1', 'session:session-one|n'], ['1', 'session:session-two|s']]);
      // neither replica stopped waiting for the call it relays: both are answered with Odoo's result
      for (const answer of [await first, await second]) assert.deepEqual(answer.json?.result?.structuredContent, { slept: 2000 }, answer.text);
    });

    it('stops a call cancelled while it still waits for its turn at Odoo: it runs nothing and is audited once', async () => {
      const narrow = await startSidecar(odoo.url, { ODOO_MAX_CONCURRENCY_PER_KEY: '1' });
      // Odoo's answer to a call whose cancellation came first (TestCancelRoute's
      // test_a_call_cancelled_before_it_started_runs_nothing_and_is_audited_once)
      odoo.serve('whoami', 'call-cancelled-before-start');
      try {
        const busy = post(narrow.mcpUrl, call('busy', 1500), inSession('q'));
        await waitFor(() => odoo.calls.some((c) => c.request_id === 'busy'));
        // queued behind it in the key's share, not sent to Odoo yet: the cancellation reaches Odoo first
        const queued = post(narrow.mcpUrl, { jsonrpc: '2.0', id: 'queued', method: 'tools/call', params: { name: 'whoami', arguments: {} } }, inSession('q'));
        await new Promise((r) => setTimeout(r, 100));
        assert.equal((await post(b.mcpUrl, cancel('queued'), inSession('q'))).status, 202);
        await waitFor(() => odoo.cancelRequests.length === 1);
        assert.ok(!odoo.calls.some((c) => c.request_id === 'queued'), 'the call reached Odoo before its cancellation');
        const released = await queued;
        assert.equal(released.json, undefined, released.text);
        await busy;
        // the call was not withdrawn: it reached Odoo after its cancellation, named by the same id and scope
        assert.deepEqual(odoo.cancelRequests, [{ userId: 2, keyId: 11, requestId: 'queued', scope: 'session:q|s' }]);
        assert.equal(odoo.calls.find((c) => c.request_id === 'queued')?.cancel_scope, 'session:q|s');
        await waitFor(() => odoo.audit.some((r) => r.request_id === 'queued'));
        assert.deepEqual(odoo.audit.filter((r) => r.request_id === 'queued').map((r) => r.outcome), ['cancelled']);
      } finally {
        await narrow.close();
      }
    });

    it('answers the other calls of a 2025-03-26 batch when one of them is cancelled', async () => {
      const v = '2025-03-26';
      const headers = { ...legacy(ALICE_KEY, v), 'Mcp-Session-Id': 'batch' };
      const started = Date.now();
      const batch = fetch(a.mcpUrl, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify([call('slow'), call('quick', 400), { jsonrpc: '2.0', id: 'who', method: 'tools/call', params: { name: 'whoami', arguments: {} } }]),
      }).then((r) => r.text());
      await waitFor(() => odoo.calls.some((c) => c.request_id === 'slow'));
      odoo.serveCancel('slow', 'cancel');
      await post(b.mcpUrl, cancel('slow'), headers);
      const text = await batch;
      assert.ok(Date.now() - started < 3000, 'the batch waited for its cancelled call');
      const ids = text.split('\n').filter((l) => l.startsWith('data: ') && l.length > 6).map((l) => (JSON.parse(l.slice(6)) as { id: string }).id).sort();
      assert.deepEqual(ids, ['quick', 'who'], text);
      await waitFor(() => odoo.audit.filter((r) => ['slow', 'quick', 'who'].includes(String(r.request_id))).length === 3);
      assert.deepEqual(odoo.audit.filter((r) => r.request_id === 'slow').map((r) => r.outcome), ['cancelled']);
      assert.deepEqual(odoo.cancelRequests, [{ userId: 2, keyId: 11, requestId: 'slow', scope: 'session:batch|s' }]);
    });

    it('gives a batch holding a call and its own cancellation no answer for the call, and the call one audit row', async () => {
      const v = '2025-03-26';
      // Odoo finds the call not running (the stand-in's unchosen answer): the sidecar itself answers it nothing
      const answer = await post(a.mcpUrl, [call('self', 300), cancel('self')], { ...legacy(ALICE_KEY, v), 'Mcp-Session-Id': 'own' });
      assert.equal(answer.json, undefined, answer.text);
      // the call still reached Odoo, once (never withdrawn), and so did its cancellation, in the call's scope
      await waitFor(() => odoo.audit.some((r) => r.request_id === 'self'));
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(odoo.calls.filter((c) => c.request_id === 'self').map((c) => c.cancel_scope), ['session:own|s']);
      assert.deepEqual(odoo.cancelRequests, [{ userId: 2, keyId: 11, requestId: 'self', scope: 'session:own|s' }]);
      assert.equal(odoo.audit.filter((r) => r.request_id === 'self').length, 1);
    });

    it('refuses a batch that names one request id twice, before anything runs', async () => {
      const v = '2025-03-26';
      const answer = await post(a.mcpUrl, [call('twice', 10), call('twice', 10)], legacy(ALICE_KEY, v));
      assert.equal(answer.status, 400);
      assert.equal(answer.json.error.code, -32600);
      assert.match(answer.json.error.message, /same id \("twice"\)/);
      // 7 and "7" are two JSON-RPC ids, but one in the audit (and on real Odoo neither could then be cancelled)
      const mixed = await post(a.mcpUrl, [call(7, 10), call('7', 10)], legacy(ALICE_KEY, v));
      assert.equal(mixed.status, 400, mixed.text);
      assert.match(mixed.json.error.message, /same id \("7"\)/);
      const distinct = await post(a.mcpUrl, [call(8, 10), call('9', 10)], legacy(ALICE_KEY, v));
      assert.equal(distinct.status, 200, distinct.text);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(odoo.calls.filter((c) => c.request_id === 'twice' || c.request_id === '7').length, 0);
      assert.equal(odoo.audit.filter((r) => r.request_id === 'twice').length, 0);
    });
  });

  describe('revocation, confirmations and rate limits', () => {
    const whoami = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    const list = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list', params: {} });

    it('refuses a revoked key on every replica: calls at once, everything within AUTH_CACHE_TTL_MS', async () => {
      const ttl = b.config.authCacheTtlMs;
      for (const sidecar of [a, b]) assert.equal((await post(sidecar.mcpUrl, whoami(1), legacy(BOB_KEY))).status, 200);
      odoo.revoke(BOB_KEY);
      const revokedAt = Date.now();
      // a call is relayed with the key and Odoo refuses it, though A still trusts its cached identity; A then
      // forgets the key, and refuses it at authentication from then on
      const call = await post(a.mcpUrl, whoami(2), legacy(BOB_KEY));
      assert.ok(call.json?.error, `a revoked key's call passed: ${call.text}`);
      assert.equal((await post(a.mcpUrl, list(3), legacy(BOB_KEY))).status, 401);
      // B has not met the refusal: it answers a list from its cached identity, until its cache expires
      const early = await post(b.mcpUrl, list(4), legacy(BOB_KEY));
      if (Date.now() - revokedAt < ttl) assert.equal(early.status, 200, 'the window this test measures did not open');
      for (;;) {
        if ((await post(b.mcpUrl, list(5), legacy(BOB_KEY))).status === 401) break;
        const refusedAfter = Date.now() - revokedAt;
        assert.ok(refusedAfter < ttl + 500, `a revoked key still listed tools on B ${refusedAfter} ms later (AUTH_CACHE_TTL_MS ${ttl})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // and a call on B is refused at once whatever its cache says (relayed with the key): shown on A above
    });
  });
});
