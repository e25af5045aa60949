// What clients learn when Odoo is in trouble: that Odoo is unreachable, slow or confused, and why, but never
// where Odoo lives (its internal URL, address or port) nor which database the sidecar expects. Those stay in
// the sidecar's log, for its administrator.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALICE_KEY, BOB_KEY } from '../support/odooStandIn.js';
import { legacy, post, type RawAnswer } from '../support/rawMcp.js';
import { sidecarOnStandIn, startSidecar } from '../support/sidecarHarness.js';

describe("attacks that fish for Odoo's internal address in error messages", () => {
  const whoami = (id: number | string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
  const stack = sidecarOnStandIn({ TOOL_CALL_TIMEOUT_MS: '300', ODOO_TIMEOUT_MS: '300' }, { eachTest: true, standIn: { database: 'secret_production_db' } });

  /** The text a client sees (HTTP body, JSON-RPC error or tool result), checked for Odoo's whereabouts. */
  function assertNoInternals(answer: RawAnswer, what: string): string {
    const port = new URL(stack.odoo.url).port;
    for (const secret of [stack.odoo.url, `127.0.0.1:${port}`, `:${port}`, 'secret_production_db']) {
      assert.ok(!answer.text.includes(secret), `${what}: the client sees ${JSON.stringify(secret)} in ${answer.text}`);
    }
    return answer.text;
  }

  it('tells a client Odoo is unreachable without naming its address, and logs the address', async () => {
    assert.equal((await post(stack.sidecar.mcpUrl, whoami(1), legacy(ALICE_KEY))).status, 200); // identity now cached
    await stack.odoo.stop();
    const inCall = await post(stack.sidecar.mcpUrl, whoami(2), legacy(ALICE_KEY));
    assertNoInternals(inCall, 'tools/call');
    assert.match(inCall.json.error.message, /^Odoo is unreachable \((ECONNREFUSED: connection refused|ECONNRESET: connection reset)\)$/);
    const atAuth = await post(stack.sidecar.mcpUrl, whoami(3), legacy(BOB_KEY));
    assert.equal(atAuth.status, 503);
    assertNoInternals(atAuth, 'identity');
    assert.match(atAuth.json.error.message, /^Odoo is unreachable \((ECONNREFUSED: connection refused|ECONNRESET: connection reset)\)$/);
    assert.equal(atAuth.json.error.data, undefined);
    const logged = stack.sidecar.logs.join('');
    assert.ok(logged.includes(stack.odoo.url), 'the log names the Odoo URL the sidecar tried');
  });

  it('tells a client Odoo is slow without naming its address', async () => {
    assert.equal((await post(stack.sidecar.mcpUrl, whoami(1), legacy(ALICE_KEY))).status, 200);
    const slow = await post(stack.sidecar.mcpUrl, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'slow_echo', arguments: { ms: 2000 } } }, legacy(ALICE_KEY));
    assertNoInternals(slow, 'timeout');
    assert.match(slow.json.error.message, /^Odoo did not answer in time/);
  });

  it('tells a client Odoo gave garbage or an error without naming its address', async () => {
    stack.odoo.mode = 'garbage';
    const garbage = await post(stack.sidecar.mcpUrl, whoami(1), legacy(ALICE_KEY));
    assertNoInternals(garbage, 'garbage');
    assert.match(garbage.json.error.message, /^Odoo gave an answer the sidecar cannot read/);
    stack.odoo.mode = 'error';
    const error = await post(stack.sidecar.mcpUrl, whoami(2), legacy(ALICE_KEY));
    assertNoInternals(error, 'error');
    assert.match(error.json.error.message, /^Odoo answered with an error .*Something went wrong in Odoo/);
  });

  it('tells a client the sidecar serves another database without naming either', async () => {
    const strict = await startSidecar(stack.odoo.url, { ODOO_DB: 'expected_db' });
    try {
      const a = await post(strict.mcpUrl, whoami(1), legacy(ALICE_KEY));
      assert.equal(a.status, 502);
      assertNoInternals(a, 'wrong database');
      assert.ok(!a.text.includes('expected_db'), a.text);
      assert.match(strict.logs.join(''), /secret_production_db.*expected_db/);
    } finally {
      await strict.close();
    }
  });

  it('does not pass on the address when something else than the addon answers at ODOO_URL', async () => {
    // A web server that is not Odoo, answering with its own address in a redirect and a 404 page.
    const other = http.createServer((req, res) => {
      req.resume();
      const self = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      if (req.url?.includes('identity')) return void res.writeHead(303, { Location: `${self}/web/login` }).end();
      res.writeHead(404, { 'Content-Type': 'text/html' }).end(`<p>Not found at ${self}</p>`);
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const confused = await startSidecar(url);
    try {
      const a = await post(confused.mcpUrl, whoami(1), legacy(ALICE_KEY));
      assert.equal(a.status, 502);
      assert.ok(!a.text.includes(url) && !a.text.includes(new URL(url).port), a.text);
      assert.match(a.json.error.message, /redirected \(HTTP 303\).*-d DB/);
    } finally {
      await confused.close();
      other.closeAllConnections();
      await new Promise((r) => other.close(r));
    }
  });
});
