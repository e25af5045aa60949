// Many answers at ODOO_MAX_ANSWER_BYTES at once must not push the sidecar (96 MB of old space, as `npm start`
// runs it) out of memory, whether its clients read their answers or leave them unread. The figures are printed
// for docs/security.md; the bound asserted is loose (a leak or an unbounded buffer breaks it, noise does not).
// Before the fair slots, p-queue kept every finished call's raw answer reachable from its queue for a while:
// 128 concurrent answers of 2 MiB ran the process out of heap.

import assert from 'node:assert/strict';
import net from 'node:net';
import { ALICE_KEY, OdooStandIn } from '../support/odooStandIn.js';
import { legacy, post } from '../support/rawMcp.js';
import { startBundledSidecar, type SidecarProcess } from '../support/sidecarProcess.js';

const CAP = 2 * 1024 * 1024; // the default ODOO_MAX_ANSWER_BYTES
const CONCURRENT = 32;
// An answer just under the cap: the result twice (content text and structuredContent) plus the envelope.
const RESULT_BYTES = CAP / 2 - 512;

describe('attacks on the sidecar\'s memory with maximum answers', function () {
  this.timeout(120_000);
  let odoo: OdooStandIn;
  let sidecar: SidecarProcess;

  before(async function () {
    if (process.platform !== 'linux') this.skip(); // memory is read from /proc
    odoo = new OdooStandIn();
    await odoo.start();
  });
  // A process of its own for each attack, so each peak is its own.
  beforeEach(async () => {
    sidecar = await startBundledSidecar({ ODOO_URL: odoo.url });
  });
  afterEach(async () => sidecar?.stop());
  after(async () => odoo?.stop());

  const bigCall = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'big_answer', arguments: { bytes: RESULT_BYTES } } });

  for (const concurrent of [CONCURRENT, 4 * CONCURRENT]) {
    it(`answers ${concurrent} concurrent answers at the cap and stays within its memory`, async () => {
      const idle = sidecar.memory();
      const answers = await Promise.all(Array.from({ length: concurrent }, (_, i) => post(`${sidecar.url}/mcp`, bigCall(i), legacy(ALICE_KEY))));
      for (const a of answers) {
        assert.equal(a.status, 200);
        assert.equal(a.json?.result?.isError, false, a.text.slice(0, 300));
        assert.equal(a.json.result.structuredContent.data.length, RESULT_BYTES);
      }
      const after = sidecar.memory();
      console.log(`      sidecar RSS: idle ${idle.rssMb} MB, after ${concurrent} answers of ${CAP} bytes ${after.rssMb} MB, peak ${after.peakMb} MB`);
      assert.equal(sidecar.child.exitCode, null, sidecar.stderr());
      assert.ok(after.peakMb < 400, `peak RSS ${after.peakMb} MB`);
    });
  }

  it(`survives ${2 * CONCURRENT} clients that never read their maximum answers`, async () => {
    const port = Number(new URL(sidecar.url).port);
    const sockets: net.Socket[] = [];
    const body = JSON.stringify(bigCall(1));
    const request =
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${ALICE_KEY}\r\nMCP-Protocol-Version: 2025-11-25\r\n` +
      `Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const callsBefore = odoo.counts.call;
    for (let i = 0; i < 2 * CONCURRENT; i++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.pause(); // never reads: the answer piles up in the sidecar's buffers (and the kernel's)
      socket.on('error', () => undefined);
      socket.write(request);
      sockets.push(socket);
    }
    while (odoo.counts.call - callsBefore < 2 * CONCURRENT) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 2000)); // every answer read from Odoo and written as far as it goes
    const held = sidecar.memory();
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 1000));
    const released = sidecar.memory();
    console.log(`      sidecar RSS with ${2 * CONCURRENT} unread maximum answers: ${held.rssMb} MB (peak ${held.peakMb} MB), ${released.rssMb} MB once they left`);
    assert.equal(sidecar.child.exitCode, null, sidecar.stderr());
    assert.ok(held.peakMb < 400, `peak RSS ${held.peakMb} MB`);
    const ok = await post(`${sidecar.url}/mcp`, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, legacy(ALICE_KEY));
    assert.equal(ok.json.result.isError, false);
  });
});
