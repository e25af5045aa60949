// The transport and JSON-RPC rules at /mcp, checked over real HTTP: each bad request gets the answer the spec
// asks for, and the server keeps serving afterwards.

import assert from 'node:assert/strict';
import { ALICE_KEY, ALICE_READ_ONLY_KEY, BOB_KEY, OdooStandIn, USERS } from '../support/odooStandIn.js';
import { fixture } from '../support/contractFiles.js';
import { legacy, modern, post } from '../support/rawMcp.js';
import { sidecarOnStandIn, startSidecar } from '../support/sidecarHarness.js';

describe('HTTP and JSON-RPC rules at /mcp', () => {
  const listTools = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
  const stack = sidecarOnStandIn({ MAX_BODY_BYTES: '65536', AUTH_NEGATIVE_TTL_MS: '60000' });

  async function stillServes(): Promise<void> {
    const ok = await post(stack.sidecar.mcpUrl, listTools, legacy(ALICE_KEY));
    assert.equal(ok.status, 200);
    assert.ok(Array.isArray(ok.json.result.tools));
  }

  describe('authentication', () => {
    it('answers a request without a key with 401, a Bearer challenge and a JSON body', async () => {
      const a = await post(stack.sidecar.mcpUrl, listTools, { 'MCP-Protocol-Version': '2025-11-25' });
      assert.equal(a.status, 401);
      assert.equal(a.headers.get('www-authenticate'), 'Bearer realm="odoo-mcp"');
      assert.equal(a.json.error.code, -32001);
      assert.match(a.json.error.message, /Authorization: Bearer/);
    });

    it('answers a key Odoo refuses with 401 invalid_token, and remembers the refusal briefly', async () => {
      const before = stack.odoo.counts.unauthorized;
      const bad = 'c0ffee0000000000000000000000000000000000';
      for (let i = 0; i < 3; i++) {
        const a = await post(stack.sidecar.mcpUrl, listTools, legacy(bad));
        assert.equal(a.status, 401);
        assert.match(a.headers.get('www-authenticate')!, /^Bearer realm="odoo-mcp", error="invalid_token"/);
      }
      assert.equal(stack.odoo.counts.unauthorized - before, 1);
    });

    it('points a client without a key to the OAuth metadata Odoo names, when Odoo offers OAuth', async () => {
      const sidecarWithOAuth = await startSidecar(stack.odoo.url, { AUTH_NEGATIVE_TTL_MS: '60000' });
      stack.odoo.oauth = { resource_metadata: 'https://odoo.example.com/.well-known/oauth-protected-resource/mcp', scope: 'mcp' };
      try {
        const a = await post(sidecarWithOAuth.mcpUrl, listTools, { 'MCP-Protocol-Version': '2025-11-25' });
        assert.equal(a.status, 401);
        assert.equal(a.headers.get('www-authenticate'),
          'Bearer resource_metadata="https://odoo.example.com/.well-known/oauth-protected-resource/mcp", scope="mcp"');
        const bad = await post(sidecarWithOAuth.mcpUrl, listTools, legacy('c0ffee0000000000000000000000000000000001'));
        assert.match(bad.headers.get('www-authenticate')!, /^Bearer resource_metadata="[^"]+", scope="mcp", error="invalid_token"/);
        // static keys are served as before
        assert.equal((await post(sidecarWithOAuth.mcpUrl, listTools, legacy(ALICE_KEY))).status, 200);
      } finally {
        stack.odoo.oauth = null;
        await sidecarWithOAuth.close();
      }
    });

    it('answers a non-Bearer Authorization header with 401', async () => {
      const a = await post(stack.sidecar.mcpUrl, listTools, { Authorization: 'Basic YWRtaW46YWRtaW4=' });
      assert.equal(a.status, 401);
    });

    it('advertises no OAuth metadata', async () => {
      for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-authorization-server']) {
        const res = await fetch(stack.sidecar.url + path);
        assert.equal(res.status, 404, path);
      }
    });

    it('checks a key with Odoo once per TTL and then uses the fast-path token', async () => {
      const fresh = await startSidecar(stack.odoo.url);
      try {
        const identityBefore = stack.odoo.counts.identity;
        const fastBefore = stack.odoo.counts.fastPath;
        for (let i = 0; i < 3; i++) assert.equal((await post(fresh.mcpUrl, listTools, legacy(BOB_KEY))).status, 200);
        await post(fresh.mcpUrl, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, legacy(BOB_KEY));
        assert.equal(stack.odoo.counts.identity - identityBefore, 1);
        assert.ok(stack.odoo.counts.fastPath - fastBefore >= 2, 'tools and call carried the token');
      } finally {
        await fresh.close();
      }
    });

    it('refuses a key revoked in Odoo on the next tool call, then at authentication', async () => {
      const odoo2 = new OdooStandIn();
      await odoo2.start();
      const fresh = await startSidecar(odoo2.url);
      try {
        const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } };
        assert.equal((await post(fresh.mcpUrl, call, legacy(BOB_KEY))).json.result.isError, false);
        odoo2.revoke(BOB_KEY);
        // The identity is still cached, but Odoo checks the key on every call.
        const refused = await post(fresh.mcpUrl, call, legacy(BOB_KEY));
        assert.equal(refused.json.error.code, -32001);
        const next = await post(fresh.mcpUrl, listTools, legacy(BOB_KEY));
        assert.equal(next.status, 401);
      } finally {
        await fresh.close();
        await odoo2.stop();
      }
    });

    it('answers a 2026-07-28 request whose cached key Odoo refused with HTTP 401 and the challenge, as authentication does', async () => {
      const odoo2 = new OdooStandIn();
      await odoo2.start();
      const fresh = await startSidecar(odoo2.url);
      try {
        const [call, headers] = modern(BOB_KEY, 7, 'tools/call', { name: 'whoami', arguments: {} });
        assert.equal((await post(fresh.mcpUrl, call, headers)).json.result.isError, false);
        odoo2.revoke(BOB_KEY);
        const refused = await post(fresh.mcpUrl, call, headers);
        assert.equal(refused.status, 401, refused.text);
        assert.equal(refused.json.id, 7);
        assert.equal(refused.json.error.code, -32001);
        const challenge = refused.headers.get('www-authenticate') ?? '';
        assert.match(challenge, /^Bearer realm="odoo-mcp", error="invalid_token", error_description="/);
        const atAuthentication = await post(fresh.mcpUrl, call, headers);
        assert.deepEqual([atAuthentication.status, atAuthentication.headers.get('www-authenticate')], [401, challenge]);
      } finally {
        await fresh.close();
        await odoo2.stop();
      }
    });

    it('never writes a key to its logs', async () => {
      await post(stack.sidecar.mcpUrl, listTools, legacy('c0ffee0000000000000000000000000000000000'));
      const all = stack.sidecar.logs.join('');
      assert.ok(all.length > 0);
      for (const key of [ALICE_KEY, BOB_KEY, 'c0ffee0000000000000000000000000000000000']) assert.ok(!all.includes(key));
    });
  });

  describe('logs', () => {
    it('writes one JSON line per request with method, tool, user, status, duration and request id', async () => {
      const before = stack.sidecar.logs.length;
      await post(stack.sidecar.mcpUrl, { jsonrpc: '2.0', id: 'log-1', method: 'tools/call', params: { name: 'whoami', arguments: {} } }, legacy(BOB_KEY));
      const lines = stack.sidecar.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
      const requestLines = lines.filter((l) => l.msg === 'request');
      assert.equal(requestLines.length, 1);
      const line = requestLines[0]!;
      assert.equal(line.mcpMethod, 'tools/call');
      assert.equal(line.tool, 'whoami');
      assert.equal(line.userId, 6);
      assert.equal(line.status, 200);
      assert.equal(line.rpcId, 'log-1');
      assert.equal(line.outcome, 'ok');
      assert.equal(typeof line.durationMs, 'number');
    });

    it('is quiet by default: nothing for a successful request at the default level', async () => {
      const quiet = await startSidecar(stack.odoo.url, { LOG_LEVEL: 'warn' });
      try {
        assert.equal((await post(quiet.mcpUrl, listTools, legacy(ALICE_KEY))).status, 200);
        assert.deepEqual(quiet.logs, []);
        await post(quiet.mcpUrl, listTools, legacy('c0ffee0000000000000000000000000000000001'));
        assert.deepEqual(quiet.logs, [], 'a refused key is the client\'s problem, not a warning');
      } finally {
        await quiet.close();
      }
    });
  });

  describe('origin and host (DNS rebinding)', () => {
    it('refuses a foreign browser Origin with 403', async () => {
      const a = await post(stack.sidecar.mcpUrl, listTools, { ...legacy(ALICE_KEY), Origin: 'http://evil.example' });
      assert.equal(a.status, 403);
      assert.match(a.json.error.message, /Origin "http:\/\/evil.example" is not allowed/);
    });

    it('accepts a loopback Origin on any port', async () => {
      const a = await post(stack.sidecar.mcpUrl, listTools, { ...legacy(ALICE_KEY), Origin: 'http://localhost:6274' });
      assert.equal(a.status, 200);
    });

    it('answers a CORS preflight from an allowed origin, and names it on answers (401 included)', async () => {
      const pre = await fetch(stack.sidecar.mcpUrl, {
        method: 'OPTIONS',
        headers: {
          Origin: 'http://localhost:6274',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization, content-type, mcp-protocol-version',
        },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), 'http://localhost:6274');
      assert.equal(pre.headers.get('access-control-allow-methods'), 'POST');
      assert.match(pre.headers.get('access-control-allow-headers')!, /authorization/);
      const ok = await post(stack.sidecar.mcpUrl, listTools, { ...legacy(ALICE_KEY), Origin: 'http://localhost:6274' });
      assert.equal(ok.headers.get('access-control-allow-origin'), 'http://localhost:6274');
      const denied = await post(stack.sidecar.mcpUrl, listTools, { 'MCP-Protocol-Version': '2025-11-25', Origin: 'http://localhost:6274' });
      assert.equal(denied.status, 401);
      assert.equal(denied.headers.get('access-control-allow-origin'), 'http://localhost:6274');
      assert.match(denied.headers.get('access-control-expose-headers')!, /WWW-Authenticate/);
      const foreign = await fetch(stack.sidecar.mcpUrl, {
        method: 'OPTIONS',
        headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
      });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    });

    it('refuses a foreign Host with 403, even with a valid key', async () => {
      const { request } = await import('node:http');
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(stack.sidecar.mcpUrl, {
          method: 'POST',
          headers: { Host: 'rebound.evil.example', 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...legacy(ALICE_KEY) },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(JSON.stringify(listTools));
      });
      assert.equal(status, 403);
    });
  });

  describe('transport rules', () => {
    it('answers GET and DELETE with 405 (no stream, no session), never 404', async () => {
      for (const method of ['GET', 'DELETE', 'PUT']) {
        const res = await fetch(stack.sidecar.mcpUrl, { method, headers: { Authorization: `Bearer ${ALICE_KEY}` } });
        assert.equal(res.status, 405, method);
        assert.equal(res.headers.get('allow'), 'POST');
      }
    });

    it('answers a notification with 202 and no body', async () => {
      const a = await post(stack.sidecar.mcpUrl, { jsonrpc: '2.0', method: 'notifications/initialized' }, legacy(ALICE_KEY));
      assert.equal(a.status, 202);
      assert.equal(a.text, '');
    });

    it('answers an unsupported protocol version with 400', async () => {
      const a = await post(stack.sidecar.mcpUrl, listTools, legacy(ALICE_KEY, '1999-01-01'));
      assert.equal(a.status, 400);
      assert.match(a.json.error.message, /Unsupported protocol version/);
      const [body, headers] = modern(ALICE_KEY, 3, 'tools/list');
      const m = await post(stack.sidecar.mcpUrl, body, { ...headers, 'MCP-Protocol-Version': '2031-01-01' });
      assert.equal(m.status, 400);
      await stillServes();
    });

    it('answers a wrong Accept with 406 and a wrong Content-Type with 415', async () => {
      assert.equal((await post(stack.sidecar.mcpUrl, listTools, { ...legacy(ALICE_KEY), Accept: 'text/html' })).status, 406);
      assert.equal((await post(stack.sidecar.mcpUrl, listTools, { ...legacy(ALICE_KEY), 'Content-Type': 'text/plain' })).status, 415);
      await stillServes();
    });

    it('answers an over-size body with 413 and keeps serving', async () => {
      const big = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: { pad: 'x'.repeat(70_000) } } };
      const a = await post(stack.sidecar.mcpUrl, big, legacy(ALICE_KEY));
      assert.equal(a.status, 413);
      assert.match(a.json.error.message, /larger than 65536 bytes/);
      await stillServes();
    });

    it('answers malformed JSON with -32700 and keeps serving', async () => {
      const a = await post(stack.sidecar.mcpUrl, '{"jsonrpc": "2.0", "id": 1, "method": ', legacy(ALICE_KEY));
      assert.equal(a.status, 400);
      assert.equal(a.json.error.code, -32700);
      await stillServes();
    });

    it('answers a batch per version: refused from 2025-06-18 on, served for 2025-03-26', async () => {
      const batch = [listTools, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }];
      for (const v of ['2025-11-25', '2025-06-18']) {
        const a = await post(stack.sidecar.mcpUrl, batch, legacy(ALICE_KEY, v));
        assert.equal(a.status, 400, v);
        assert.equal(a.json.error.code, -32600);
      }
      const old = await post(stack.sidecar.mcpUrl, batch, legacy(ALICE_KEY, '2025-03-26'));
      assert.equal(old.status, 200);
      assert.ok(old.text.includes('"login":"alice"'), old.text);
      const [single, headers] = modern(ALICE_KEY, 5, 'tools/list');
      const m = await post(stack.sidecar.mcpUrl, [single], headers);
      assert.equal(m.status, 400);
      assert.equal(m.json.error.code, -32600);
      await stillServes();
    });

    it('answers an unknown method with -32601 (2026-07-28: HTTP 404)', async () => {
      const a = await post(stack.sidecar.mcpUrl, { jsonrpc: '2.0', id: 7, method: 'odoo/secret' }, legacy(ALICE_KEY));
      assert.equal(a.json.error.code, -32601);
      const [body, headers] = modern(ALICE_KEY, 8, 'odoo/secret');
      const m = await post(stack.sidecar.mcpUrl, body, headers);
      assert.equal(m.status, 404);
      assert.equal(m.json.error.code, -32601);
      await stillServes();
    });

    it('answers a 2026-07-28 request whose headers disagree with its body with 400', async () => {
      const [body, headers] = modern(ALICE_KEY, 9, 'tools/call', { name: 'whoami', arguments: {} });
      const a = await post(stack.sidecar.mcpUrl, body, { ...headers, 'Mcp-Name': 'odoo_search' });
      assert.equal(a.status, 400);
      await stillServes();
    });
  });

  describe('tools', () => {
    it("answers Odoo's unknown_tool with JSON-RPC -32602 (the call is relayed: see test/security/audit.test.ts)", async () => {
      const a = await post(stack.sidecar.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } }, legacy(ALICE_KEY));
      assert.equal(a.json.error.code, -32602);
      assert.equal(a.json.error.message, 'Unknown tool: no_such_tool');
    });

    it("relays Odoo's refusal of bad arguments as an isError result naming the argument", async () => {
      const a = await post(
        stack.sidecar.mcpUrl,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'odoo_search', arguments: { limit: 5 } } }, // fixture call-invalid-arguments
        legacy(ALICE_KEY),
      );
      assert.equal(a.json.result.isError, true);
      assert.match(a.json.result.content[0].text, /^Missing required argument 'model'\.$/);
    });

    it("relays a tool's own failure as an isError result", async () => {
      const a = await post(
        stack.sidecar.mcpUrl,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'odoo_search', arguments: { model: 'sale.order' } } },
        legacy(ALICE_KEY),
      );
      assert.equal(a.json.result.isError, true);
      assert.match(a.json.result.content[0].text, /^You are not allowed to access 'Sales Order' \(sale\.order\) records\./);
    });

    it("refuses to pass on a result that breaks the tool's outputSchema", async () => {
      const a = await post(
        stack.sidecar.mcpUrl,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'broken_output', arguments: {} } },
        legacy(ALICE_KEY),
      );
      assert.equal(a.json.result.isError, true);
      assert.equal(a.json.result.structuredContent, undefined);
      assert.match(a.json.result.content[0].text, /does not match the tool's outputSchema: Result 'total' must be integer, got string\./);
    });

    it('shows two users their own tools and results', async () => {
      const alice = await post(stack.sidecar.mcpUrl, listTools, legacy(ALICE_KEY));
      const bob = await post(stack.sidecar.mcpUrl, listTools, legacy(BOB_KEY));
      const names = (a: typeof alice) => (a.json.result.tools as Array<{ name: string }>).map((t) => t.name);
      assert.ok(names(alice).includes('partner_create'));
      assert.deepEqual(names(bob), ['odoo_search', 'whoami']);
      // each user's call reaches Odoo with their own key, and Odoo's answer to it comes back (whoami says whose)
      const call = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } };
      const ra = await post(stack.sidecar.mcpUrl, call, legacy(ALICE_KEY));
      assert.equal(stack.odoo.authorizations.at(-1), `Bearer ${ALICE_KEY}`);
      const rb = await post(stack.sidecar.mcpUrl, call, legacy(BOB_KEY));
      assert.equal(stack.odoo.authorizations.at(-1), `Bearer ${BOB_KEY}`);
      assert.deepEqual([ra.json.result.structuredContent.login, rb.json.result.structuredContent.login], ['alice', 'bob']);
      const search = { ...call, params: { name: 'odoo_search', arguments: { model: 'res.company' } } };
      const found = await post(stack.sidecar.mcpUrl, search, legacy(BOB_KEY));
      assert.deepEqual(found.json.result.structuredContent, fixture('call-search-companies').response.body.structuredContent);
      const bobCreates = await post(stack.sidecar.mcpUrl, { ...call, params: { name: 'partner_create', arguments: { name: 'x' } } }, legacy(BOB_KEY));
      assert.equal(bobCreates.json.error.code, -32602);
    });

    it("lists only read-only tools for a read-only key, as Odoo decides", async () => {
      const a = await post(stack.sidecar.mcpUrl, listTools, legacy(ALICE_READ_ONLY_KEY));
      const names = (a.json.result.tools as Array<{ name: string }>).map((t) => t.name);
      assert.ok(names.includes('whoami'));
      assert.ok(!names.includes('partner_create'));
    });

    it('answers 2026-07-28 tools/list with cache hints and tools/call with structured content', async () => {
      const [listBody, listHeaders] = modern(ALICE_KEY, 11, 'tools/list');
      const list = await post(stack.sidecar.mcpUrl, listBody, listHeaders);
      assert.equal(list.status, 200);
      assert.equal(list.json.result.resultType, 'complete');
      assert.equal(list.json.result.cacheScope, 'private');
      assert.equal(typeof list.json.result.ttlMs, 'number');
      const [callBody, callHeaders] = modern(ALICE_KEY, 12, 'tools/call', { name: 'whoami', arguments: {} });
      const call = await post(stack.sidecar.mcpUrl, callBody, callHeaders);
      assert.deepEqual(call.json.result.structuredContent, { user_id: 2, login: 'alice' });
    });

    it('pages a long tool list with cursors', async () => {
      const paged = await startSidecar(stack.odoo.url, { TOOLS_PAGE_SIZE: '4' });
      try {
        const names: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const a = await post(paged.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: cursor ? { cursor } : {} }, legacy(ALICE_KEY));
          names.push(...(a.json.result.tools as Array<{ name: string }>).map((t) => t.name));
          cursor = a.json.result.nextCursor;
          pages += 1;
        } while (cursor);
        const all = USERS.find((u) => u.login === 'alice')!.tools;
        assert.deepEqual(names, [...all].sort());
        assert.equal(pages, Math.ceil(all.length / 4));
        const bad = await post(paged.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { cursor: 'nonsense' } }, legacy(ALICE_KEY));
        assert.equal(bad.json.error.code, -32602);
      } finally {
        await paged.close();
      }
    });

    it('fetches the tool list again when Odoo reports a new fingerprint', async () => {
      const fresh = await startSidecar(stack.odoo.url, { AUTH_CACHE_TTL_MS: '0' });
      try {
        const before = stack.odoo.counts.tools;
        await post(fresh.mcpUrl, listTools, legacy(BOB_KEY));
        await post(fresh.mcpUrl, listTools, legacy(BOB_KEY));
        assert.equal(stack.odoo.counts.tools - before, 1, 'same fingerprint: cached');
        stack.odoo.extraToolDescription = '(edited)';
        const a = await post(fresh.mcpUrl, listTools, legacy(BOB_KEY));
        assert.equal(stack.odoo.counts.tools - before, 2, 'new fingerprint: fetched');
        assert.match(a.json.result.tools[0].description, /\(edited\)/);
      } finally {
        stack.odoo.extraToolDescription = '';
        await fresh.close();
      }
    });

    it('shows a change made in Odoo within AUTH_CACHE_TTL_MS, at the next identity check', async () => {
      const ttl = 1000;
      const sidecar = await startSidecar(stack.odoo.url, { AUTH_CACHE_TTL_MS: String(ttl) });
      const description = async () => ((await post(sidecar.mcpUrl, listTools, legacy(BOB_KEY))).json.result.tools[0] as
        { description: string }).description;
      try {
        assert.doesNotMatch(await description(), /\(edited\)/);
        stack.odoo.extraToolDescription = '(edited)';
        const editedAt = Date.now();
        const seen: string[] = [];
        while (Date.now() - editedAt < ttl + 1000) {
          seen.push(await description());
          if (/\(edited\)/.test(seen.at(-1) ?? '')) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.match(seen.at(-1) ?? '', /\(edited\)/, 'the edit never showed');
        assert.ok(Date.now() - editedAt <= ttl + 500, `the edit took ${Date.now() - editedAt} ms to show`);
        assert.doesNotMatch(seen[0] ?? '', /\(edited\)/, 'the identity (and its fingerprint) is trusted until it expires');
      } finally {
        stack.odoo.extraToolDescription = '';
        await sidecar.close();
      }
    });
  });
});
