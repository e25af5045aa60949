// Real MCP clients from npm, driven against the running sidecar (relaying to the contract stand-in):
// mcp-remote exactly as Claude Desktop starts it, the MCP Inspector CLI, and the MCP conformance suite.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ALICE_KEY, BOB_KEY } from '../support/odooStandIn.js';
import { fixture } from '../support/contractFiles.js';
import { startAuthProxy } from '../support/authProxy.js';
import { CONFORMANCE, INSPECTOR, MCP_REMOTE, NODE22, ensureNode22Tools, run } from '../support/realClients.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';

/** The conformance suite's prompt and completion scenarios, served by the stand-in's fixture prompts. */
const PROMPT_SCENARIOS = ['prompts-list', 'prompts-get-simple', 'prompts-get-with-args', 'prompts-get-embedded-resource', 'prompts-get-with-image', 'completion-complete'];

interface RpcMessage {
  id?: number;
  result?: any;
  error?: { code: number; message: string };
}

/** Starts mcp-remote as Claude Desktop's config does and talks JSON-RPC to it over stdin/stdout. */
function mcpRemoteSession(url: string, key: string, extraArgs: string[], home: string) {
  const child = spawn(process.execPath, [MCP_REMOTE, url, '--header', 'Authorization:${AUTH_HEADER}', ...extraArgs], {
    env: { ...process.env, AUTH_HEADER: `Bearer ${key}`, HOME: home },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const waiting = new Map<number, (m: RpcMessage) => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg: RpcMessage;
    try {
      msg = JSON.parse(line) as RpcMessage;
    } catch {
      return;
    }
    if (typeof msg.id === 'number') waiting.get(msg.id)?.(msg);
  });
  const request = (id: number, method: string, params: unknown = {}) =>
    new Promise<RpcMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${method}; stderr: ${stderr.slice(-2000)}`)), 20_000);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  const notify = (method: string) => child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method }) + '\n');
  const close = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  return { request, notify, close, stderr: () => stderr };
}

/** The conformance suite's resource scenarios, served by the stand-in's test:// fixtures through the sidecar. */
const RESOURCE_SCENARIOS = ['resources-list', 'resources-read-text', 'resources-read-binary', 'resources-templates-read'];

describe('real MCP clients from npm', function () {
  this.timeout(120_000);
  let home: string;

  before(ensureNode22Tools);
  const stack = sidecarOnStandIn();
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'mcp-remote-home-'));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  for (const [label, args, wire] of [
    ['2025 handshake (default)', [], '2025-06-18'],
    ['2026-07-28 on the wire (--protocol auto)', ['--protocol', 'auto'], '2026-07-28'],
  ] as const) {
    it(`mcp-remote 0.15.1 as Claude Desktop runs it: ${label}`, async () => {
      const session = mcpRemoteSession(stack.sidecar.mcpUrl, ALICE_KEY, [...args], home);
      try {
        const init = await session.request(1, 'initialize', {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'claude-ai', version: '0.1.0' },
        });
        assert.equal(init.result.serverInfo.name, 'Odoo MCP (stand-in)');
        session.notify('notifications/initialized');
        const list = await session.request(2, 'tools/list');
        assert.ok((list.result.tools as Array<{ name: string }>).some((t) => t.name === 'odoo_search'));
        const before = stack.odoo.calls.length;
        const call = await session.request(3, 'tools/call', { name: 'whoami', arguments: {} });
        assert.deepEqual(call.result.structuredContent, { user_id: 2, login: 'alice' });
        assert.equal(stack.odoo.calls.length, before + 1);
        assert.equal(stack.odoo.calls.at(-1)!.protocol_version, wire);
        const bad = await session.request(4, 'tools/call', { name: 'odoo_search', arguments: { limit: 5 } }); // fixture call-invalid-arguments
        assert.equal(bad.result.isError, true);
        assert.match(bad.result.content[0].text, /Missing required argument 'model'/);
        assert.ok(!session.stderr().includes(ALICE_KEY), 'mcp-remote must not print the key');
      } finally {
        await session.close();
      }
    });
  }

  for (const era of ['legacy', 'modern'] as const) {
    it(`MCP Inspector CLI 2.12.0 (Node 22), ${era} era: tools/list and tools/call`, async () => {
      const common = [INSPECTOR, '--cli', stack.sidecar.mcpUrl, '--transport', 'http', '--protocol-era', era, '--header', `Authorization: Bearer ${BOB_KEY}`];
      const list = await run(NODE22, [...common, '--method', 'tools/list'], { timeout: 90_000 });
      const tools = (JSON.parse(list.stdout) as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
      assert.deepEqual(tools, ['odoo_search', 'whoami']);
      const call = await run(NODE22, [...common, '--method', 'tools/call', '--tool-name', 'odoo_search', '--tool-arg', 'model=res.company'], {
        timeout: 90_000,
      });
      const result = JSON.parse(call.stdout) as { structuredContent: { records: unknown[] } };
      assert.deepEqual(result.structuredContent, fixture('call-search-companies').response.body.structuredContent);
      assert.equal(stack.odoo.calls.at(-1)!.protocol_version, era === 'modern' ? '2026-07-28' : '2025-11-25');
    });
  }

  for (const revision of ['2025-11-25', '2026-07-28'] as const) {
    it(`MCP conformance suite 0.2.0-alpha.12, requirements ${revision}: passes all but the baselined scenarios`, async () => {
      const proxy = await startAuthProxy(stack.sidecar.url, ALICE_KEY);
      const out = await mkdtemp(join(tmpdir(), `conformance-${revision}-`));
      const baseline = fileURLToPath(new URL(`./conformance/baseline-${revision}.yml`, import.meta.url));
      try {
        let stdout = '';
        try {
          ({ stdout } = await run(
            NODE22,
            [CONFORMANCE, 'server', '--url', `${proxy.url}/mcp`, '--requirements', revision, '--expected-failures', baseline, '-o', out],
            { timeout: 110_000, maxBuffer: 50e6 },
          ));
        } catch (err) {
          const e = err as { stdout?: string; message: string };
          assert.fail(`conformance run failed: ${e.message}\n${(e.stdout ?? '').split('=== SUMMARY ===')[1] ?? ''}`);
        }
        assert.match(stdout, /Baseline check passed/);
        // Read the results, not only the exit code: the scenarios that matter must have passed check by check.
        const results = new Map<string, Array<{ id: string; status: string }>>();
        for (const dir of await readdir(out)) {
          const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT.*$/, '');
          results.set(scenario, JSON.parse(await readFile(join(out, dir, 'checks.json'), 'utf8')));
        }
        const mustPass =
          revision === '2025-11-25'
            ? ['server-initialize', 'ping', 'tools-list', 'tools-call-simple-text', 'tools-call-image', 'tools-call-audio', 'tools-call-embedded-resource', 'tools-call-mixed-content', 'tools-call-error', 'dns-rebinding-protection', ...RESOURCE_SCENARIOS, ...PROMPT_SCENARIOS]
            : ['tools-list', 'tools-call-simple-text', 'tools-call-error', 'tools-call-mixed-content', 'dns-rebinding-protection', 'http-header-validation', ...RESOURCE_SCENARIOS, 'sep-2164-resource-not-found', ...PROMPT_SCENARIOS];
        for (const scenario of mustPass) {
          const checks = results.get(scenario);
          assert.ok(checks && checks.length > 0, `${scenario} did not run`);
          const failed = checks.filter((c) => c.status === 'FAILURE');
          assert.deepEqual(failed, [], `${scenario} has failing checks`);
          assert.ok(checks.some((c) => c.status === 'SUCCESS'), `${scenario} passed nothing`);
        }
        if (revision === '2026-07-28') {
          const stateless = results.get('server-stateless')!.filter((c) => c.status === 'SUCCESS').map((c) => c.id);
          assert.ok(stateless.length >= 20, `server-stateless: only ${stateless.length} checks passed`);
          // every cacheable answer (tools, resources, templates, prompts) carries ttlMs/cacheScope
          const caching = results.get('caching')!;
          assert.ok(caching.length >= 8, `caching ran ${caching.length} checks`);
          assert.deepEqual(caching.filter((c) => c.status !== 'SUCCESS'), [], 'caching hints missing');
        }
      } finally {
        await proxy.close();
        if (process.env.CONFORMANCE_KEEP) console.log(`conformance results kept in ${out}`);
        else await rm(out, { recursive: true, force: true });
      }
    });
  }
});
