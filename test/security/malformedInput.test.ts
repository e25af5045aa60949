// JSON-RPC messages that are valid JSON but hostile: NUL characters and lone surrogates in ids, tool names,
// client names and arguments, bytes that are not UTF-8, and arguments nested hundreds or hundreds of thousands
// of levels deep. The sidecar answers each with JSON-RPC, never crashes, and relays every call it can read to
// Odoo, which audits it; what it cannot safely read (nesting beyond 512 levels) it refuses as a transport
// limit, like an oversized body.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ALICE_KEY, type AuditRow } from '../support/odooStandIn.js';
import { NGINX, rawRequest, startProxy, type RunningProxy } from '../support/nginxProxy.js';
import { legacy, META_2026, modern, post, type RawAnswer } from '../support/rawMcp.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';

describe('attacks with hostile characters and nesting in JSON-RPC messages', () => {
  const stack = sidecarOnStandIn();

  /** Sends `body` (JSON text) and returns the answer with the audit rows written meanwhile. */
  async function send(body: string, headers = legacy(ALICE_KEY)): Promise<{ answer: RawAnswer; rows: AuditRow[] }> {
    const before = stack.odoo.audit.length;
    const answer = await post(stack.sidecar.mcpUrl, body, headers);
    return { answer, rows: stack.odoo.audit.slice(before) };
  }

  const callText = (id: string, name: string, args: string) =>
    `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":${name},"arguments":${args}}}`;

  async function stillServes(): Promise<void> {
    const { answer } = await send(callText('"ok"', '"whoami"', '{}'));
    assert.equal(answer.json.result.isError, false);
  }

  it('relays NUL characters in the JSON-RPC id and the tool name to Odoo, which audits them', async () => {
    const id = await send(callText('"a\\u0000b"', '"whoami"', '{}'));
    assert.equal(id.answer.json.id, 'a\u0000b');
    assert.deepEqual(id.rows.map((r) => [r.tool, r.outcome, r.request_id]), [['whoami', 'ok', 'a\u0000b']]);
    const name = await send(callText('2', '"who\\u0000ami"', '{}'));
    assert.equal(name.answer.json.error.code, -32602);
    assert.deepEqual(name.rows.map((r) => [r.tool, r.outcome]), [['who\u0000ami', 'invalid']]);
    await stillServes();
  });

  it('relays lone surrogates in the id, the arguments and the client name to Odoo, which audits them', async () => {
    const id = await send(callText('"\\ud800"', '"slow_echo"', '{"ms":0,"\\udc00":"\\ud83d","note":"x\\u0000"}'));
    assert.equal(id.answer.status, 200);
    assert.equal(id.answer.json.result.isError, false);
    assert.deepEqual(id.rows.map((r) => [r.tool, r.outcome, r.request_id]), [['slow_echo', 'ok', '\ud800']]);
    assert.deepEqual(stack.odoo.calls.at(-1)!.arguments, { ms: 0, '\udc00': '\ud83d', note: 'x\u0000' });
    const meta = { ...META_2026, 'io.modelcontextprotocol/clientInfo': { name: 'evil\u0000\ud800', version: '\udfff' } };
    const modern = await send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {}, _meta: meta } }),
      { Authorization: `Bearer ${ALICE_KEY}`, 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': 'whoami' });
    assert.equal(modern.answer.status, 200, modern.answer.text);
    assert.deepEqual(modern.rows.map((r) => [r.tool, r.outcome, r.client]), [['whoami', 'ok', { name: 'evil\u0000\ud800', version: '\udfff' }]]);
    await stillServes();
  });

  it('relays bytes that are not UTF-8 (as U+FFFD) to Odoo, which audits them', async () => {
    const before = stack.odoo.audit.length;
    const head = '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"slow_echo","arguments":{"ms":0,"note":"';
    const res = await fetch(stack.sidecar.mcpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...legacy(ALICE_KEY) },
      body: Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from('"}}}')]),
    });
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual(stack.odoo.audit.slice(before).map((r) => [r.tool, r.outcome]), [['slow_echo', 'ok']]);
    assert.deepEqual(stack.odoo.calls.at(-1)!.arguments, { ms: 0, note: '\ufffd\ufffd\ufffd' });
    await stillServes();
  });

  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it('relays arguments nested 500 levels deep to Odoo, which audits them once', async () => {
    const { answer, rows } = await send(callText('5', '"slow_echo"', `{"ms":0,"deep":${nested(500)}}`));
    assert.equal(answer.json.result.isError, false, answer.text.slice(0, 200));
    assert.deepEqual(rows.map((r) => [r.tool, r.outcome]), [['slow_echo', 'ok']]);
  });

  it('relays a message nested exactly 512 levels deep, and refuses one level more with HTTP 400', async () => {
    // The message's own object, params and arguments are three levels.
    const atLimit = await send(callText('6', '"slow_echo"', `{"ms":0,"deep":${nested(509)}}`));
    assert.equal(atLimit.answer.json.result.isError, false, atLimit.answer.text.slice(0, 200));
    assert.equal(atLimit.rows.length, 1);
    const over = await send(callText('7', '"slow_echo"', `{"ms":0,"deep":${nested(510)}}`));
    assert.equal(over.answer.status, 400);
    assert.equal(over.answer.json.error.code, -32600);
    assert.match(over.answer.json.error.message, /deeper than 512 levels/);
    assert.equal(over.answer.json.id, null);
    assert.equal(over.rows.length, 0);
    await stillServes();
  });

  it('refuses a megabyte of nesting with HTTP 400 and keeps serving', async () => {
    const depth = 500_000;
    const { answer, rows } = await send(callText('8', '"slow_echo"', `{"ms":0,"deep":${nested(depth)}}`));
    assert.equal(answer.status, 400, answer.text.slice(0, 200));
    assert.equal(answer.json.error.code, -32600);
    assert.equal(rows.length, 0);
    await stillServes();
  });
});

describe('spec requests whose params break the spec schema', () => {
  const stack = sidecarOnStandIn();
  const broken: [string, Record<string, unknown>, RegExp][] = [
    ['resources/read', { uri: 5 }, /uri: .*expected string/],
    ['resources/read', {}, /uri: /],
    ['tools/list', { cursor: 5 }, /cursor: .*expected string/],
    ['prompts/list', { cursor: {} }, /cursor: /],
    ['resources/list', { cursor: [] }, /cursor: /],
    ['resources/templates/list', { cursor: 7 }, /cursor: /],
    ['completion/complete', { ref: 5, argument: {} }, /ref: .*argument\.name: /],
    ['tools/call', { name: 5 }, /name: .*expected string/],
    ['tools/call', { name: 'whoami', arguments: 'x' }, /arguments: /],
  ];

  const titles = {
    '2026-07-28': "answers them with -32602 naming the field, never -32603 or the validator's dump (2026-07-28)",
    '2025-11-25': "answers them with -32602 naming the field, never -32603 or the validator's dump (2025-11-25)",
  };
  for (const era of ['2026-07-28', '2025-11-25'] as const) {
    it(titles[era], async () => {
      for (const [method, params, field] of broken) {
        const [body, headers] = era === '2026-07-28'
          ? modern(ALICE_KEY, 9, method, params)
          : [{ jsonrpc: '2.0', id: 9, method, params }, legacy(ALICE_KEY, era)];
        const answer = await post(stack.sidecar.mcpUrl, body, headers);
        const label = `${method} ${JSON.stringify(params)}: ${answer.text.slice(0, 300)}`;
        assert.equal(answer.json?.error?.code, -32602, label);
        assert.match(answer.json.error.message, new RegExp(`^Invalid params for ${method}: `), label);
        assert.match(answer.json.error.message, field, label);
        assert.doesNotMatch(answer.text, /invalid_type|"path"|"expected"|\\n/, `a validator dump reached the client: ${label}`);
      }
    });
  }
});

describe('HTTP requests that Node cannot parse', () => {
  const stack = sidecarOnStandIn();

  /** Sends raw bytes on a new socket; returns the whole answer as text (status line, headers, body). */
  function raw(bytes: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const { port } = new URL(stack.sidecar.url);
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(bytes));
      let text = '';
      socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
  }

  const request = (header: string) => Buffer.concat([
    Buffer.from('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n', 'latin1'),
    Buffer.from(header, 'latin1'),
    Buffer.from('\r\n\r\n{}', 'latin1'),
  ]);

  for (const [what, header] of [
    ['a DEL byte in the bearer key', 'Authorization: Bearer \x7f'],
    ['a NUL byte in a header', 'X-Test: a\x00b'],
    ['a header line without a colon', 'Authorization Bearer'],
  ] as const) {
    it(`answers ${what} with HTTP 400 and a JSON-RPC error body`, async () => {
      const answer = await raw(request(header));
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      assert.match(head, /^HTTP\/1\.1 400 /);
      assert.match(head, /\r\nContent-Type: application\/json/i);
      const json = JSON.parse(body);
      assert.equal(json.jsonrpc, '2.0');
      assert.equal(json.id, null);
      assert.equal(json.error.code, -32600);
      assert.match(json.error.message, /could not be parsed/);
      assert.doesNotMatch(body, /\x7f|Bearer/);
    });
  }

  it('answers a DEL byte in the bearer key through the proxy (real nginx) with a status and a JSON body', async function () {
    if (!NGINX) this.skip();
    const proxy: RunningProxy = await startProxy({ odoo: (_req, res) => res.end('odoo'), sidecar: Number(new URL(stack.sidecar.url).port) });
    try {
      const res = await rawRequest(proxy.port, 'POST', '/mcp', {
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: 'Bearer \x7f' },
        body: '{}',
      });
      assert.equal(res.status, 400, res.text);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(JSON.parse(res.text).error.code, -32600);
    } finally {
      await proxy.close();
    }
  });

  it('answers headers larger than Node takes with 431 and a JSON-RPC error body', async () => {
    const answer = await raw(request(`X-Big: ${'a'.repeat(20_000)}`));
    assert.match(answer, /^HTTP\/1\.1 431 /);
    assert.equal(JSON.parse(answer.split('\r\n\r\n')[1] ?? '').error.code, -32600);
  });
});
