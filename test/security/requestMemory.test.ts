// Many large requests at once must not push the sidecar (96 MB of old space, as `npm start` runs it) out of
// memory: a request holds several times its body until it is answered, and 96 bodies of 1 MiB at once from one
// key were enough (32, before calls were encoded for Odoo only once they have their slot). What the sidecar
// holds is bounded (MAX_REQUEST_BYTES_IN_FLIGHT), a key's share of it like its share of Odoo; beyond, 429 (the
// key's share) or 503 (the sidecar's), with a JSON-RPC error and Retry-After.

import assert from 'node:assert/strict';
import { ALICE_KEY, KEYS, OdooStandIn, type StandInKey } from '../support/odooStandIn.js';
import { legacy, post, type RawAnswer } from '../support/rawMcp.js';
import { startBundledSidecar, type SidecarProcess } from '../support/sidecarProcess.js';

// Alice's tools through more keys, so that several keys can fill the sidecar together.
const EXTRA_KEYS: StandInKey[] = Array.from({ length: 6 }, (_, i) => ({
  key: `e${String(i).repeat(39)}`, id: 31 + i, userId: 2, name: `extra ${i}`, scope: 'mcp', readOnly: false, allowedTools: null,
}));

/** A slow call whose body is just under 1 MiB (the default MAX_BODY_BYTES), padded in an argument. */
function bigCall(id: number): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow_echo', arguments: { ms: 1500, pad: 'x'.repeat(1_040_000) } } });
}

describe('attacks on the sidecar\'s memory with large requests', function () {
  this.timeout(120_000);
  let odoo: OdooStandIn;
  let sidecar: SidecarProcess;

  before(async function () {
    if (process.platform !== 'linux') this.skip(); // memory is read from /proc
    odoo = new OdooStandIn({ keys: [...KEYS, ...EXTRA_KEYS] });
    await odoo.start();
  });
  beforeEach(async () => {
    sidecar = await startBundledSidecar({ ODOO_URL: odoo.url });
  });
  afterEach(async () => sidecar?.stop());
  after(async () => odoo?.stop());

  const outcome = (a: RawAnswer) => (a.status === 200 && a.json?.result?.isError === false ? 'served' : String(a.status));

  it('refuses one key\'s 96 concurrent requests of 1 MiB beyond its share with 429, and survives', async () => {
    const answers = await Promise.all(Array.from({ length: 96 }, (_, i) => post(`${sidecar.url}/mcp`, bigCall(i), legacy(ALICE_KEY))));
    const counts = answers.map(outcome).reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {});
    const memory = sidecar.memory();
    console.log(`      96 requests of 1 MiB from one key: ${JSON.stringify(counts)}; sidecar RSS ${memory.rssMb} MB, peak ${memory.peakMb} MB`);
    assert.equal(sidecar.child.exitCode, null, sidecar.stderr());
    assert.equal(counts.served, 2, 'a key may hold 2 MiB: two of its largest requests');
    assert.equal(counts['429'], 94);
    const refused = answers.find((a) => a.status === 429)!;
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(refused.json.error.code, -32000);
    assert.match(refused.json.error.message, /too many requests in progress/);
  });

  it("refuses several keys' requests beyond the sidecar's budget with 503, and survives", async () => {
    const keys = EXTRA_KEYS.map((k) => k.key);
    const answers = await Promise.all(keys.flatMap((key, k) => Array.from({ length: 8 }, (_, i) => post(`${sidecar.url}/mcp`, bigCall(k * 100 + i), legacy(key)))));
    const counts = answers.map(outcome).reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {});
    const memory = sidecar.memory();
    console.log(`      48 requests of 1 MiB from 6 keys: ${JSON.stringify(counts)}; sidecar RSS ${memory.rssMb} MB, peak ${memory.peakMb} MB`);
    assert.equal(sidecar.child.exitCode, null, sidecar.stderr());
    assert.ok(counts.served! <= 8, 'the sidecar holds 8 MiB of requests');
    assert.ok((counts['503'] ?? 0) > 0, JSON.stringify(counts));
    const ok = await post(`${sidecar.url}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, legacy(ALICE_KEY));
    assert.equal(ok.json.result.isError, false);
  });
});
