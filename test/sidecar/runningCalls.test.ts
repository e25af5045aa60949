// A user's calls beyond the cap of calls running at once that Odoo names in the identity (docs/contract.md,
// "Calls running at once") wait in this replica's queue for the user's turn instead of being relayed to be
// refused (odoo/runningCalls.ts). Asserted on what reaches Odoo (the stand-in's most calls open at once per user,
// and which calls it received) and on the answers clients get, never on timings.

import assert from 'node:assert/strict';
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

const ALICE = 2;
const slow = (id: string, ms: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow_echo', arguments: { ms } } });
const whoami = (id: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
const cancel = (requestId: string) => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'stop' } });
const inSession = (session: string, key = ALICE_KEY) => ({ ...legacy(key), 'Mcp-Session-Id': session });

describe("a user's calls over Odoo's cap of calls running at once", function () {
  this.timeout(30_000);
  let odoo: OdooStandIn;
  let sidecar: RunningSidecar;

  beforeEach(async () => {
    odoo = new OdooStandIn();
    await odoo.start();
  });
  afterEach(async () => {
    await sidecar?.close();
    await odoo.stop();
  });

  const relayed = (requestId: string) => odoo.calls.some((c) => c.request_id === requestId);

  it('runs two parallel calls of one user with the cap 1 one after the other: both succeed, Odoo never sees two at once', async () => {
    odoo.runningCallsPerUser = 1;
    sidecar = await startSidecar(odoo.url);
    // over two keys of the same user: the cap is the user's, not the key's
    const [first, second] = await Promise.all([
      post(sidecar.mcpUrl, slow('one', 300), legacy(ALICE_KEY)),
      post(sidecar.mcpUrl, slow('two', 300), legacy(ALICE_READ_ONLY_KEY)),
    ]);
    for (const answer of [first, second]) assert.deepEqual(answer.json?.result?.structuredContent, { slept: 300 }, answer.text);
    assert.equal(odoo.calls.length, 2);
    assert.equal(odoo.peakOpenCallsOfUser.get(ALICE), 1, 'Odoo received two calls of the user at once');
  });

  it("relays another user's call while the first user's extra call waits for its turn", async () => {
    odoo.runningCallsPerUser = 1;
    sidecar = await startSidecar(odoo.url);
    const busy = post(sidecar.mcpUrl, slow('busy', 1500), legacy(ALICE_KEY));
    await waitFor(() => relayed('busy'));
    const held = post(sidecar.mcpUrl, whoami('held'), legacy(ALICE_KEY));
    const other = await post(sidecar.mcpUrl, whoami('other'), legacy(BOB_KEY));
    assert.deepEqual(other.json?.result?.structuredContent, { user_id: 6, login: 'bob' }, other.text);
    assert.ok(!relayed('held'), "alice's second call reached Odoo while her first still ran");
    assert.deepEqual((await held).json?.result?.structuredContent, { user_id: 2, login: 'alice' });
    await busy;
    assert.deepEqual(odoo.calls.map((c) => c.request_id), ['busy', 'other', 'held']);
  });

  it('keeps a waiting call the client cancels in its place: Odoo gets it in its turn, stops it before it starts and audits it once', async () => {
    odoo.runningCallsPerUser = 1;
    sidecar = await startSidecar(odoo.url);
    // Odoo's answer to a call whose cancellation came first (its registry's tombstone; TestCancelRoute)
    odoo.serve('whoami', 'call-cancelled-before-start', 'call-cancelled-before-start');
    const busy = post(sidecar.mcpUrl, slow('busy', 1500), inSession('q'));
    await waitFor(() => relayed('busy'));
    // a 2025-era notifications/cancelled, and a 2026-07-28 client closing the call's response stream
    const queued = post(sidecar.mcpUrl, whoami('queued'), inSession('q'));
    const closing = new AbortController();
    const [body, headers] = modern(ALICE_KEY, 77, 'tools/call', { name: 'whoami', arguments: {} });
    const closed = fetch(sidecar.mcpUrl, {
      method: 'POST', signal: closing.signal, body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    }).then((r) => r.text()).catch(() => 'closed');
    await new Promise((r) => setTimeout(r, 200)); // both reached the sidecar and wait there
    assert.equal((await post(sidecar.mcpUrl, cancel('queued'), inSession('q'))).status, 202);
    closing.abort();
    // both cancellations reach Odoo while the calls still wait, so Odoo knows them when the calls come
    await waitFor(() => ['queued', '77'].every((id) => odoo.cancelRequests.some((r) => r.requestId === id)));
    assert.ok(!relayed('queued') && !relayed('77'), 'a call went ahead of its turn');
    const released = await queued;
    assert.equal(released.json, undefined, released.text); // no response for a cancelled request
    assert.equal(await closed, 'closed');
    await busy;
    await waitFor(() => relayed('77'));
    const next = await post(sidecar.mcpUrl, whoami('next'), legacy(ALICE_KEY));
    assert.deepEqual(next.json?.result?.structuredContent, { user_id: 2, login: 'alice' }, next.text);
    assert.deepEqual(odoo.calls.map((c) => c.request_id), ['busy', 'queued', '77', 'next'], 'in the order they came');
    assert.equal(odoo.peakOpenCallsOfUser.get(ALICE), 1);
    assert.deepEqual(odoo.audit.filter((r) => r.request_id === 'queued' || r.request_id === '77').map((r) => r.outcome),
      ['cancelled', 'cancelled'], 'each audited once, as Odoo answered');
  });

  it("counts a call's wait for its turn against the call's own deadline", async () => {
    odoo.runningCallsPerUser = 1;
    sidecar = await startSidecar(odoo.url, { TOOL_CALL_TIMEOUT_MS: '2500' });
    const busy = post(sidecar.mcpUrl, slow('busy', 1500), legacy(ALICE_KEY));
    await waitFor(() => relayed('busy'));
    // its turn comes after busy's 1.5 s: of its 2.5 s, too few are left for its own 1.5 s at Odoo
    const waited = await post(sidecar.mcpUrl, slow('waited', 1500), legacy(ALICE_KEY));
    assert.equal(waited.json?.error?.message, 'Odoo did not answer in time (no answer within 2500 ms)', waited.text);
    assert.deepEqual((await busy).json?.result?.structuredContent, { slept: 1500 });
  });

  it('queues nothing when Odoo names no cap (0), nor when an older addon names none', async () => {
    for (const cap of [0, null]) {
      odoo.runningCallsPerUser = cap;
      const sc = await startSidecar(odoo.url);
      try {
        odoo.peakOpenCallsOfUser.clear();
        const answers = await Promise.all([1, 2, 3].map((i) => post(sc.mcpUrl, slow(`free-${cap}-${i}`, 300), legacy(ALICE_KEY))));
        for (const answer of answers) assert.deepEqual(answer.json?.result?.structuredContent, { slept: 300 }, answer.text);
        assert.equal(odoo.peakOpenCallsOfUser.get(ALICE), 3, `cap ${cap}: the calls were held back`);
      } finally {
        await sc.close();
      }
    }
  });
});
