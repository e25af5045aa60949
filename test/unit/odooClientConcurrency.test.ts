import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OdooUnavailable, RequestCancelled } from '../../sidecar/src/errors.js';
import { OdooClient } from '../../sidecar/src/odoo/client.js';
import { fixture } from '../support/contractFiles.js';

// A fake Odoo (answering as the real one does in the contract fixtures) that holds every tool call until released, and records how many were open at once.
function holdingOdoo() {
  let open = 0;
  let peak = 0;
  let received = 0;
  const waiting: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/llm_mcp/v1/health') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(fixture('health').response.body));
      return;
    }
    received++;
    open++;
    peak = Math.max(peak, open);
    waiting.push(() => {
      open--;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(fixture('call').response.body));
    });
  });
  return {
    server,
    get peak() { return peak; },
    get received() { return received; },
    get waiting() { return waiting.length; },
    releaseAll() { waiting.splice(0).forEach((release) => release()); },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), 'condition not reached within 2 s');
}

describe('Odoo client: bounded concurrency', () => {
  let odoo: ReturnType<typeof holdingOdoo>;
  let baseUrl: string;

  beforeEach(async () => {
    odoo = holdingOdoo();
    await new Promise<void>((r) => odoo.server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(odoo.server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    odoo.releaseAll();
    odoo.server.closeAllConnections();
    await new Promise((r) => odoo.server.close(r));
  });

  const call = (client: OdooClient, signal?: AbortSignal) =>
    client.callTool({ key: 'k' }, { name: 't', arguments: {} }, signal);

  it('never has more than maxConcurrency requests open at Odoo, and answers every queued one', async () => {
    const client = new OdooClient({ baseUrl, timeoutMs: 5000, toolCallTimeoutMs: 5000, maxConcurrency: 3, maxConcurrencyPerKey: 3, maxAnswerBytes: 1 << 20 });
    const calls = Array.from({ length: 10 }, () => call(client));
    await until(() => odoo.waiting === 3);
    await new Promise((r) => setTimeout(r, 50)); // a fourth would have arrived by now if the bound leaked
    assert.equal(odoo.received, 3);
    const drain = setInterval(() => odoo.releaseAll(), 5);
    try {
      const results = await Promise.all(calls);
      assert.equal(results.length, 10);
      assert.ok(results.every((r) => r.isError === false));
    } finally {
      clearInterval(drain);
    }
    assert.equal(odoo.peak, 3);
    assert.equal(odoo.received, 10);
  });

  it('keeps answering health checks while every slot is taken', async () => {
    const client = new OdooClient({ baseUrl, timeoutMs: 5000, toolCallTimeoutMs: 5000, maxConcurrency: 1, maxConcurrencyPerKey: 1, maxAnswerBytes: 1 << 20 });
    const busy = call(client);
    await until(() => odoo.waiting === 1);
    assert.equal((await client.health()).status, 'ok');
    odoo.releaseAll();
    await busy;
  });

  it('never sends a request cancelled while it waited for a slot', async () => {
    const client = new OdooClient({ baseUrl, timeoutMs: 5000, toolCallTimeoutMs: 5000, maxConcurrency: 1, maxConcurrencyPerKey: 1, maxAnswerBytes: 1 << 20 });
    const busy = call(client);
    await until(() => odoo.waiting === 1);
    const abort = new AbortController();
    const queued = call(client, abort.signal).then(() => 'sent', (err: unknown) => err);
    abort.abort();
    odoo.releaseAll();
    await busy;
    assert.ok((await queued) instanceof RequestCancelled);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(odoo.received, 1);
  });

  it('counts the wait for a slot in the timeout and names Odoo (its URL in the detail) when it runs out', async () => {
    // The slot is held by a call with a long timeout; the queued tools request has a short one.
    const client = new OdooClient({ baseUrl, timeoutMs: 200, toolCallTimeoutMs: 5000, maxConcurrency: 1, maxConcurrencyPerKey: 1, maxAnswerBytes: 1 << 20 });
    const busy = call(client);
    await until(() => odoo.waiting === 1);
    const queued = client.listTools({ key: 'k' });
    await assert.rejects(queued, (err: unknown) => err instanceof OdooUnavailable && err.kind === 'timeout' && err.detail.includes(baseUrl));
    assert.equal(odoo.received, 1);
    odoo.releaseAll();
    await busy;
  });
});

describe('Odoo client: where cancellations go', () => {
  it("sends a cancellation to cancelUrl (Odoo's gevent port) with the caller's key, while every call waits at baseUrl", async () => {
    const workers = holdingOdoo(); // every HTTP worker busy: nothing sent there is answered
    const seen: Array<{ url?: string; authorization?: string; body: string }> = [];
    const gevent = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      req.on('end', () => {
        seen.push({ url: req.url, authorization: req.headers.authorization, body });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ contract: fixture('health').response.body.contract, cancelled: true }));
      });
    });
    await new Promise<void>((r) => workers.server.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => gevent.listen(0, '127.0.0.1', r));
    const baseUrl = `http://127.0.0.1:${(workers.server.address() as AddressInfo).port}`;
    const cancelUrl = `http://127.0.0.1:${(gevent.address() as AddressInfo).port}`;
    const client = new OdooClient({ baseUrl, cancelUrl, timeoutMs: 3000, toolCallTimeoutMs: 5000, maxConcurrency: 4, maxConcurrencyPerKey: 4, maxAnswerBytes: 1 << 20 });
    try {
      const call = client.callTool({ key: 'alice-key' }, { name: 't', arguments: {}, requestId: '7' });
      await until(() => workers.waiting === 1);
      assert.deepEqual(await client.cancelCall({ key: 'alice-key' }, '7', 'session:s|n'), { cancelled: true });
      assert.equal(workers.received, 1, 'the cancellation went to the busy workers');
      assert.equal(seen.length, 1);
      const [cancel] = seen as [(typeof seen)[number]];
      assert.equal(cancel.url, '/llm_mcp/v1/cancel');
      assert.equal(cancel.authorization, 'Bearer alice-key');
      assert.deepEqual(JSON.parse(cancel.body), { request_id: '7', cancel_scope: 'session:s|n' });
      workers.releaseAll();
      await call;
    } finally {
      workers.releaseAll();
      workers.server.closeAllConnections();
      gevent.closeAllConnections();
      await new Promise((r) => workers.server.close(r));
      await new Promise((r) => gevent.close(r));
    }
  });
});
