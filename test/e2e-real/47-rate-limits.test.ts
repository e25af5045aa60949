// Rate limits through the real proxy, sidecar and Odoo (docs/security.md): one key's runaway loop is stopped
// at its limit while another key's calls in the same second pass, parallel calls of one key never overshoot,
// and every refused call is answered 429 with Retry-After and audited as rate_limited.
import assert from 'node:assert/strict';
import { mcpRemote } from './clients.js';
import { mcpUrl, orm } from './stack.js';
import { modern, post } from '../support/rawMcp.js';

interface RateKeys { loop: string; other: string; parallel: string; remote: string; stamp: string }

const COUNT = { name: 'odoo_count', arguments: { model: 'res.partner' } };
const call = (key: string, id: number) => post(mcpUrl, ...modern(key, id, 'tools/call', COUNT));

/** Outcomes of the audit rows of one of this run's keys. */
async function outcomes(label: string, stamp: string): Promise<Record<string, number>> {
  return orm<Record<string, number>>(`
rows = env['llm.mcp.call'].search([('key_name', '=', 'e2e rate ${label} ${stamp}')])
result({o: len(rows.filtered(lambda r: r.outcome == o)) for o in set(rows.mapped('outcome'))})
`);
}

describe('rate limits through /mcp', () => {
  let keys: RateKeys;

  before(async () => {
    // users of their own: the loop fills its user's window for a minute, which must not slow the other tests
    keys = await orm<RateKeys>(`
import datetime, time
stamp = '%d' % (time.time() * 1000)
expiry = datetime.datetime.now() + datetime.timedelta(days=1)
Users = env['res.users'].with_context(no_reset_password=True)
def user(login):
    found = Users.search([('login', '=', login)])
    return found or Users.create({'name': login, 'login': login, 'email': login + '@example.com',
                                  'groups_id': [(6, 0, [env.ref('base.group_user').id, env.ref('base.group_partner_manager').id])]})
loop_user, other_user, parallel_user = user('e2e_rate_loop'), user('e2e_rate_other'), user('e2e_rate_parallel')
def key(u, label, **limits):
    return env['llm.mcp.key'].with_user(u).create_mcp_key('e2e rate %s %s' % (label, stamp), expiry, **limits)
result({'loop': key(loop_user, 'loop'), 'other': key(other_user, 'other'),
        'parallel': key(parallel_user, 'parallel', calls_per_minute=10),
        'remote': key(parallel_user, 'mcp-remote', calls_per_minute=2),
        'stamp': stamp})
`);
  });

  it("stops one key's loop of 300 calls at its limit while another key's calls in the same second pass", async function () {
    this.timeout(300_000);
    const limit = await orm<number>("result(env['llm.mcp.config'].get_config().rate_key_calls_per_minute)");
    const started = Date.now();
    let ok = 0;
    let limited = 0;
    let otherOk = 0;
    let otherCalls = 0;
    const retryAfters = new Set<string>();
    // four calls at a time, as an agent loop with parallel tool calls would; every tenth round, the other key
    for (let i = 0; i < 300; i += 4) {
      const round = [0, 1, 2, 3].filter((j) => i + j < 300).map((j) => call(keys.loop, i + j + 1));
      const other = i % 40 === 0 ? [call(keys.other, 10_000 + i)] : [];
      const [mine, theirs] = await Promise.all([Promise.all(round), Promise.all(other)]);
      for (const answer of mine) {
        if (answer.status === 200) ok++;
        else {
          assert.equal(answer.status, 429, answer.text);
          assert.equal(answer.json.error.code, -32005);
          retryAfters.add(answer.headers.get('retry-after') ?? '');
          limited++;
        }
      }
      for (const answer of theirs) {
        otherCalls++;
        if (answer.status === 200 && answer.json.result?.isError === false) otherOk++;
      }
    }
    const elapsed = (Date.now() - started) / 1000;
    console.log(`      loop of 300 calls from one key (limit ${limit}/min): ${ok} ok, ${limited} rate limited; ` +
      `the other key: ${otherOk}/${otherCalls} ok in the same seconds; ${elapsed.toFixed(1)} s; Retry-After ${[...retryAfters].join(', ')} s`);
    assert.ok(elapsed < 60, 'the loop must run within one window for the count to be exact');
    assert.equal(ok, limit);
    assert.equal(limited, 300 - limit);
    assert.equal(otherOk, otherCalls);
    for (const seconds of retryAfters) assert.ok(Number(seconds) >= 1 && Number(seconds) <= 60, seconds);
    assert.deepEqual(await outcomes('loop', keys.stamp), { ok: limit, rate_limited: 300 - limit });
  });

  it('never lets parallel calls of one key overshoot its limit', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => call(keys.parallel, i + 1)));
    const statuses = answers.map((a) => a.status);
    console.log(`      40 parallel calls, key limit 10/min: ${statuses.filter((s) => s === 200).length} ok, ` +
      `${statuses.filter((s) => s === 429).length} rate limited`);
    assert.equal(statuses.filter((s) => s === 200).length, 10);
    assert.equal(statuses.filter((s) => s === 429).length, 30);
    assert.deepEqual(await outcomes('parallel', keys.stamp), { ok: 10, rate_limited: 30 });
  });

  it('gives Claude Desktop (through mcp-remote) a readable error with the wait', async function () {
    this.timeout(120_000);
    const remote = mcpRemote(keys.remote);
    try {
      const init = await remote.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {},
        clientInfo: { name: 'claude-ai', version: '0.1.0' } });
      assert.ok(init.result, JSON.stringify(init));
      remote.notify('notifications/initialized');
      for (const id of [2, 3]) assert.equal((await remote.request(id, 'tools/call', COUNT)).result?.isError, false);
      const refused = await remote.request(4, 'tools/call', COUNT);
      console.log(`      mcp-remote's answer to the refused call: ${JSON.stringify(refused.error)}`);
      assert.equal(refused.error?.code, -32005);
      assert.match(refused.error?.message ?? '', /Rate limit reached: This key may make 2 calls a minute.*Retry in \d+ s/);
    } finally {
      await remote.close();
    }
  });
});
