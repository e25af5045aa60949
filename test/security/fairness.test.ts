// One key flooding the sidecar must not starve the others: each key has a bounded share of the requests open
// at Odoo (ODOO_MAX_CONCURRENCY_PER_KEY), its requests beyond it wait in its own queue, and free slots go to
// the keys in turn. Asserted on the order in which calls reach Odoo, not on timings (bench/fairness.ts
// measures the latency).

import assert from 'node:assert/strict';
import { ALICE_KEY, BOB_KEY, OdooStandIn } from '../support/odooStandIn.js';
import { legacy, post } from '../support/rawMcp.js';
import { startSidecar, type RunningSidecar } from '../support/sidecarHarness.js';

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('attacks on other keys\' share of Odoo (one key floods)', function () {
  this.timeout(30_000);
  let odoo: OdooStandIn;
  let sidecar: RunningSidecar | undefined;

  beforeEach(async () => {
    odoo = new OdooStandIn();
    await odoo.start();
  });
  afterEach(async () => {
    await sidecar?.close();
    sidecar = undefined;
    await odoo.stop();
  });

  /** Ends the flood early: closing the sidecar drops its clients and its calls to Odoo. */
  async function stopFlood(flood: Promise<unknown>[]): Promise<void> {
    await sidecar?.close();
    sidecar = undefined;
    await Promise.allSettled(flood);
  }

  const slow = (id: string, ms: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow_echo', arguments: { ms } } });
  const whoami = (id: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
  /** Where a relayed call sits in the order Odoo received them. */
  const position = (requestId: string) => odoo.calls.findIndex((c) => c.request_id === requestId);

  it("sends another key's call to Odoo while one key has 100 calls in flight, before the flooder's 5th", async () => {
    const sc = (sidecar = await startSidecar(odoo.url)); // ODOO_MAX_CONCURRENCY 16, ODOO_MAX_CONCURRENCY_PER_KEY 4
    assert.equal((await post(sc.mcpUrl, whoami('warm'), legacy(BOB_KEY))).status, 200); // bob's identity cached
    const flood = Array.from({ length: 100 }, (_, i) => post(sc.mcpUrl, slow(`flood-${i}`, 300), legacy(ALICE_KEY)));
    await until(() => odoo.calls.filter((c) => String(c.request_id).startsWith('flood-')).length >= 4);
    await new Promise((r) => setTimeout(r, 50)); // every flood call that can be sent now has been
    const other = await post(sc.mcpUrl, whoami('other'), legacy(BOB_KEY));
    assert.deepEqual(other.json.result.structuredContent, { user_id: 6, login: 'bob' });
    assert.ok(odoo.calls.filter((c) => String(c.request_id).startsWith('flood-')).length < 100, 'bob waited for the whole flood');
    const fifth = odoo.calls.filter((c) => String(c.request_id).startsWith('flood-'))[4];
    assert.ok(!fifth || position('other') < position(String(fifth.request_id)), `bob's call was sent after the flooder's 5th (${position('other')})`);
    assert.equal(odoo.peakOpenCalls.get(11), 4, 'the flooding key had more than its share open at Odoo');
    await stopFlood(flood);
  });

  it('gives a freed slot to the waiting key, not to the flooder, when the flood holds every slot', async () => {
    const sc = (sidecar = await startSidecar(odoo.url, { ODOO_MAX_CONCURRENCY: '4', ODOO_MAX_CONCURRENCY_PER_KEY: '4' }));
    assert.equal((await post(sc.mcpUrl, whoami('warm'), legacy(BOB_KEY))).status, 200);
    const flood = Array.from({ length: 40 }, (_, i) => post(sc.mcpUrl, slow(`flood-${i}`, 200), legacy(ALICE_KEY)));
    await until(() => odoo.calls.filter((c) => String(c.request_id).startsWith('flood-')).length >= 4);
    await new Promise((r) => setTimeout(r, 50)); // the rest of the flood is queued in the sidecar
    await post(sc.mcpUrl, whoami('other'), legacy(BOB_KEY));
    const floodBefore = odoo.calls.slice(0, position('other')).filter((c) => String(c.request_id).startsWith('flood-')).length;
    assert.equal(floodBefore, 4, `${floodBefore} flood calls were sent before bob's, 4 expected (the ones holding the slots)`);
    await stopFlood(flood);
  });
});
