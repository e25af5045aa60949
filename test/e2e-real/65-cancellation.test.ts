// Cancellation across replicas against the real stack: a second sidecar process (`npm start`'s bundle) relays to
// the same Odoo as the stack's own. A call relayed by one sidecar is cancelled through the other (a 2025-era
// notifications/cancelled), or by its client closing its stream (2026-07-28): Odoo stops the tool in the middle
// of its database work, rolls back what it wrote, and audits the call once as cancelled. A stranger's
// cancellation of the same request id reaches nothing.
import assert from 'node:assert/strict';
import { startBundledSidecar, type SidecarProcess } from '../support/sidecarProcess.js';
import { fixtures, removeServerActionFixture, type ServerActionFixture } from './fixtures.js';
import { e2e, orm } from './stack.js';

const LEGACY = '2025-11-25';
const META_2026 = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'e2e-cancel', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

function headers(key: string, version: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${key}`,
    'MCP-Protocol-Version': version, ...extra };
}

describe('cancellation across two sidecars on the real stack', () => {
  let fixture: ServerActionFixture;
  let other: SidecarProcess;
  const stackSidecar = `http://127.0.0.1:${e2e.sidecarPort}/mcp`;

  before(async function () {
    this.timeout(180_000);
    fixture = await orm<ServerActionFixture>(`
import time
stamp = '%d' % (time.time() * 1000)
partner = env['res.partner'].create({'name': 'E2E cancel target %s' % stamp, 'ref': 'before'})
action = env['ir.actions.server'].create({
    'name': 'E2E slow tag %s' % stamp, 'model_id': env.ref('base.model_res_partner').id, 'state': 'code',
    # writes, then waits inside the database: the work a cancellation must stop and roll back
    'code': "records.write({'ref': 'written by the call'})\\nenv.cr.execute('SELECT pg_sleep(20)')\\naction = {'done': True}",
})
opened = action.with_user(env.ref('base.user_admin')).action_llm_tool_create()
tool = env['llm.tool'].browse(opened['res_id'])
tool.write({'description': 'Tag contacts slowly.', 'destructive_hint': False, 'open_world_hint': False,
            'requires_confirmation': False})
result({'tool': tool.name, 'toolId': tool.id, 'actionId': action.id, 'partnerId': partner.id})
`);
    other = await startBundledSidecar({ ODOO_URL: `http://127.0.0.1:${e2e.odooPort}`, AUTH_CACHE_TTL_MS: String(e2e.authCacheTtlMs) });
  });

  after(async function () {
    this.timeout(120_000);
    await other?.stop();
    await removeServerActionFixture(fixture);
  });

  /** What Odoo kept: the contact's reference, the call's audit rows and running-call rows. */
  function kept(requestId: string) {
    return orm<{ ref: string; audit: string[]; running: number }>(`
env.cr.execute("SELECT count(*) FROM llm_mcp_running_call WHERE request_id = %s AND backend_pid IS NOT NULL", ['${requestId}'])
running = env.cr.fetchone()[0]
result({'ref': env['res.partner'].browse(${fixture.partnerId}).ref,
        'audit': env['llm.mcp.call'].search([('request_id', '=', '${requestId}'), ('tool_id', '=', ${fixture.toolId})]).mapped('outcome'),
        'running': running})`);
  }

  it('a 2025-era call relayed by one sidecar is stopped by notifications/cancelled through the other, and rolled back', async function () {
    this.timeout(120_000);
    const id = `e2e-cancel-${Date.now()}`;
    const started = Date.now();
    let settledAt = 0;
    const call = fetch(stackSidecar, {
      method: 'POST', headers: headers(fixtures.admin.key, LEGACY),
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: fixture.tool, arguments: { record_ids: [fixture.partnerId] } } }),
    }).then(async (r) => ({ status: r.status, text: await r.text() })).finally(() => { settledAt = Date.now(); });
    await new Promise((r) => setTimeout(r, 2000)); // the call runs in Odoo by now, inside its pg_sleep
    const notice = (key: string) => fetch(`${other.url}/mcp`, {
      method: 'POST', headers: headers(key, LEGACY),
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'stop' } }),
    });
    // another user naming the same id reaches nothing: the call still runs a second later
    assert.equal((await notice(fixtures.restricted.key)).status, 202);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(settledAt, 0, "another user's cancellation stopped the call");
    const cancelledAt = Date.now();
    assert.equal((await notice(fixtures.admin.key)).status, 202);
    const answer = await call;
    assert.ok(settledAt - cancelledAt < 5000, `the call ended ${settledAt - cancelledAt} ms after its cancellation`);
    assert.ok(settledAt - started < 15_000, 'the call ran to its end');
    assert.equal(answer.status, 200);
    assert.ok(!answer.text.includes('"result"') && !answer.text.includes('"error"'), `a response was sent: ${answer.text}`);
    assert.deepEqual(await kept(id), { ref: 'before', audit: ['cancelled'], running: 0 });
  });

  it('a 2025-era call cancelled while it still waits for its turn runs nothing, and another session with the same ids is untouched', async function () {
    this.timeout(120_000);
    const stamp = Date.now();
    const session = (name: string) => ({ 'Mcp-Session-Id': `e2e-${name}-${stamp}` });
    const ended: Record<number, number> = {};
    // one call of a key at a time at Odoo through this replica: a second one waits for its turn, as a call
    // waits for a free Odoo worker when every worker is busy
    const narrow = await startBundledSidecar({ ODOO_URL: `http://127.0.0.1:${e2e.odooPort}`, AUTH_CACHE_TTL_MS: String(e2e.authCacheTtlMs),
      ODOO_MAX_CONCURRENCY_PER_KEY: '1' });
    try {
      const slowCall = (id: number, sess: Record<string, string>) => fetch(`${narrow.url}/mcp`, {
        method: 'POST', headers: headers(fixtures.admin.key, LEGACY, sess),
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: fixture.tool, arguments: { record_ids: [fixture.partnerId] } } }),
      }).then(async (r) => r.text()).finally(() => { ended[id] = Date.now(); });
      const cancel = (id: number, sess: Record<string, string>) => fetch(stackSidecar, {
        method: 'POST', headers: headers(fixtures.admin.key, LEGACY, sess),
        body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'stop' } }),
      });
      // session one: call 1 runs (in its 20 s pg_sleep), call 2 waits behind it for the key's turn
      const running = slowCall(1, session('one'));
      await new Promise((r) => setTimeout(r, 1500));
      const queued = slowCall(2, session('one'));
      await new Promise((r) => setTimeout(r, 500));
      // another conversation of the same key cancels its own ids 1 and 2: it reaches neither of session one's calls
      assert.equal((await cancel(1, session('two'))).status, 202);
      assert.equal((await cancel(2, session('two'))).status, 202);
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(ended, {}, "another session's cancellation stopped session one's calls");
      // the queued call is cancelled before it reaches Odoo, then the running one
      const cancelledAt = Date.now();
      assert.equal((await cancel(2, session('one'))).status, 202);
      assert.equal((await cancel(1, session('one'))).status, 202);
      const [first, second] = await Promise.all([running, queued]);
      assert.ok(ended[1]! - cancelledAt < 8000, `call 1 ended ${ended[1]! - cancelledAt} ms after its cancellation`);
      assert.ok(!first.includes('"result"') && !second.includes('"result"'), `a response was sent: ${first} ${second}`);
      // both audited once as cancelled; the queued one ran nothing (its write would have been kept had it run)
      const audited = () => orm<string[][]>(`
rows = env['llm.mcp.call'].search([('tool_id', '=', ${fixture.toolId}), ('create_date', '>=', '${new Date(stamp - 5000).toISOString().slice(0, 19).replace('T', ' ')}')])
result([rows.filtered(lambda r: r.request_id == rid).mapped('outcome') for rid in ('1', '2')])`);
      const until = Date.now() + 15_000;
      let outcomes = await audited();
      while (outcomes[1]!.length === 0 && Date.now() < until) outcomes = await audited();
      assert.deepEqual(outcomes, [['cancelled'], ['cancelled']]);
      assert.equal((await kept('1')).ref, 'before');
    } finally {
      await narrow.stop();
    }
  });

  it('a 2026-07-28 call whose client closes its stream is stopped and rolled back by Odoo', async function () {
    this.timeout(120_000);
    const id = Date.now();
    const controller = new AbortController();
    const call = fetch(`${other.url}/mcp`, {
      method: 'POST', signal: controller.signal,
      headers: headers(fixtures.admin.key, '2026-07-28', { 'Mcp-Method': 'tools/call', 'Mcp-Name': fixture.tool }),
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call',
        params: { name: fixture.tool, arguments: { record_ids: [fixture.partnerId] }, _meta: META_2026 } }),
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2000));
    controller.abort();
    await call;
    // Odoo answers the relay once the rollback is done; the audit row is committed with it
    const until = Date.now() + 10_000;
    let state = await kept(String(id));
    while (state.audit.length === 0 && Date.now() < until) state = await kept(String(id));
    assert.deepEqual(state, { ref: 'before', audit: ['cancelled'], running: 0 });
  });
});
