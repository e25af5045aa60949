// TEST CODE ONLY. The MCP flow against a running sidecar in front of a REAL Odoo 18 with the addon (not run
// by `npm test`: it needs an Odoo database). Usage, after creating keys via the ORM (see sidecar/README.md):
//   MCP_URL=http://127.0.0.1:8186/mcp KEYS_JSON=/tmp/keys.json npx tsx test/support/realOdooFlow.ts
// KEYS_JSON holds {"admin": <MCP key of admin>, "demo_ro": <read-only MCP key of demo>, "demo_global": <global key of demo>}.
// Prints one line per step and exits non-zero on the first surprise.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VERSIONS, connect1x, connect2x } from './clients.js';
import { legacy, post } from './rawMcp.js';

const url = process.env.MCP_URL ?? 'http://127.0.0.1:8765/mcp';
const keys = JSON.parse(readFileSync(process.env.KEYS_JSON ?? '/tmp/keys.json', 'utf8')) as Record<string, string>;
const step = (msg: string) => console.log(`ok  ${msg}`);

for (const version of VERSIONS) {
  const client = await connect2x(url, keys.admin!, version);
  assert.equal(client.getNegotiatedProtocolVersion(), version);
  const { tools } = await client.listTools();
  const count = await client.callTool({ name: 'odoo_count', arguments: { model: 'res.partner' } });
  assert.equal(count.isError, false);
  step(`2.x client ${version}: ${tools.length} tools; odoo_count(res.partner) = ${JSON.stringify(count.structuredContent)}`);
  await client.close();
}
for (const version of ['2025-11-25', '2025-06-18', '2025-03-26'] as const) {
  const client = await connect1x(url, keys.demo_ro!, version);
  const names = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(!names.includes('odoo_create'), 'read-only key sees no write tool');
  step(`1.x client ${version}, demo read-only key: ${names.join(', ')}`);
  await client.close();
}

const admin = await connect2x(url, keys.admin!, '2026-07-28');
// Every tool with an outputSchema, called once: the sidecar checks Odoo's result against it.
const samples: Record<string, Record<string, unknown>> = {
  odoo_list_models: {},
  odoo_describe_model: { model: 'res.partner' },
  odoo_search: { model: 'res.partner', limit: 2 },
  odoo_count: { model: 'res.partner' },
  odoo_read: { model: 'res.partner', ids: [1] },
  odoo_aggregate: { model: 'res.partner', groupby: ['is_company'] },
};
for (const [name, args] of Object.entries(samples)) {
  const r = await admin.callTool({ name, arguments: args });
  assert.equal(r.isError, false, `${name}: ${JSON.stringify(r.content).slice(0, 300)}`);
  step(`${name} → ${JSON.stringify(r.structuredContent).slice(0, 100)}…`);
}
const bad = await admin.callTool({ name: 'odoo_search', arguments: { limit: 'x' } });
assert.equal(bad.isError, true);
step(`bad arguments → isError: ${JSON.stringify(bad.content)}`);
await assert.rejects(admin.callTool({ name: 'no_such_tool', arguments: {} }), /Unknown tool: no_such_tool/);
step('unknown tool → JSON-RPC -32602');
await admin.close();

const demo = await connect2x(url, keys.demo_ro!, '2025-11-25');
const denied = await demo.callTool({ name: 'odoo_search', arguments: { model: 'ir.config_parameter', limit: 1 } });
assert.equal(denied.isError, true);
step(`demo reading ir.config_parameter → isError: ${JSON.stringify(denied.content).slice(0, 120)}…`);
await assert.rejects(demo.callTool({ name: 'odoo_create', arguments: { model: 'res.partner', values: { name: 'x' } } }), /Unknown tool/);
step('read-only key calling odoo_create → Unknown tool');
await demo.close();

for (const [label, key] of [['no key', ''], ['bad key', 'f'.repeat(40)]] as const) {
  const a = await post(url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, key ? legacy(key) : {});
  assert.equal(a.status, 401);
  step(`${label} → 401 ${a.headers.get('www-authenticate')}`);
}
