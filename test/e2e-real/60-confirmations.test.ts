// Writes the person confirms, through the proxy with real clients (docs/contract.md "Confirmations"): odoo_delete
// of a contact asks before it deletes, for each kind of client, and nothing is deleted on decline. The exchanges
// on the wire are printed (states shortened), so the output shows what each client saw.
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { textOf, type CallResult } from './clients.js';
import { fixtures } from './fixtures.js';
import { post } from '../support/rawMcp.js';
import { mcpUrl, orm } from './stack.js';

type Answer = { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, boolean> };

const STATE = /[A-Za-z0-9_-]{40,}\.[0-9a-f]{64}/g;
const short = (text: string) => text.replace(STATE, (s) => `<state ${s.slice(0, 8)}…${s.length} chars>`);

/** A fetch that prints each tools/call request and its answer, as JSON-RPC on the wire. */
function printing(label: string): typeof fetch {
  return async (input, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    const response = await fetch(input, init);
    if (!body.includes('"tools/call"')) return response;
    const request = JSON.parse(body) as { params: Record<string, unknown> };
    delete (request.params as { _meta?: unknown })._meta; // the envelope: protocol version, client info, capabilities
    console.log(`      [${label}] → ${short(JSON.stringify(request))}`);
    const text = await response.clone().text();
    const data = text.includes('data: ') ? text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join(' ') : text;
    console.log(`      [${label}] ← HTTP ${response.status} ${short(data)}`);
    return response;
  };
}

interface Session {
  call(args: Record<string, unknown>): Promise<CallResult>;
  asked: string[];
  close(): Promise<void>;
}

/** The 2.x client, at `version`, with an elicitation handler giving `answer` (printed) when given one. */
async function sdk2(version: '2026-07-28' | '2025-11-25', label: string, answer?: Answer): Promise<Session> {
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${fixtures.admin.key}` } },
    fetch: printing(label),
  });
  const client = new Client({ name: 'e2e-confirm-2.x', version: '2.4.0' }, {
    ...(version === '2026-07-28' ? { versionNegotiation: { mode: { pin: version } } } : { supportedProtocolVersions: [version] }),
    ...(answer ? { capabilities: { elicitation: { form: {} } } } : {}),
  });
  const asked: string[] = [];
  if (answer) {
    client.setRequestHandler('elicitation/create', (request) => {
      const message = (request.params as { message: string }).message;
      asked.push(message);
      console.log(`      [${label}] the person is asked: ${JSON.stringify(message)} → ${JSON.stringify(answer)}`);
      return Promise.resolve(answer);
    });
  }
  await client.connect(transport);
  return {
    call: (args) => client.callTool({ name: 'odoo_delete', arguments: args }),
    asked,
    close: () => client.close(),
  };
}

/** The 1.x client (2025-11-25), which declares no elicitation. */
async function sdk1(label: string): Promise<Session> {
  const transport = new LegacyTransport(new URL(mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${fixtures.admin.key}` } },
    fetch: printing(label),
  });
  const client = new LegacyClient({ name: 'e2e-confirm-1.x', version: '1.32.2' });
  await client.connect(transport);
  return {
    call: async (args) => (await client.callTool({ name: 'odoo_delete', arguments: args })) as CallResult,
    asked: [],
    close: () => client.close(),
  };
}

async function newContact(label: string): Promise<{ id: number; name: string }> {
  return orm(`
import time
partner = env['res.partner'].create({'name': 'E2E confirm %s %d' % (${JSON.stringify(label)}, time.time() * 1000)})
result({'id': partner.id, 'name': partner.name})`);
}

const exists = (id: number) => orm<boolean>(`result(bool(env['res.partner'].browse(${id}).exists()))`);

/** The outcomes of the admin key's last `n` audit rows, oldest first. */
const lastOutcomes = (n: number) => orm<string[]>(`
rows = env['llm.mcp.call'].search([('key_name', '=', ${JSON.stringify(fixtures.admin.name)})], order='id desc', limit=${n})
result(list(reversed(rows.mapped('outcome'))))`);

const tokenIn = (text: string) => /"confirmation_token": "([^"]+)"/.exec(text)?.[1];

/** The outcomes of the audit rows of odoo_delete calls on contact `id`, counted. */
const outcomesFor = (id: number) => orm<Record<string, number>>(`
import collections
rows = env['llm.mcp.call'].search([('tool_name', '=', 'odoo_delete'), ('arguments', 'like', '"ids": [${id}]')])
result(dict(collections.Counter(rows.mapped('outcome'))))`);

describe('odoo_delete asks the person before it deletes', () => {
  before(async () => {
    const on = await orm<boolean>(`result(env['llm.tool'].search([('name', '=', 'odoo_delete')]).requires_confirmation)`);
    assert.equal(on, true, 'odoo_delete asks for confirmation by default');
  });

  describe('the 2.x client at 2026-07-28 with an elicitation handler (input_required)', () => {
    it('deletes once the person accepts', async () => {
      const contact = await newContact('accept');
      const session = await sdk2('2026-07-28', '2.x 2026-07-28 accept', { action: 'accept', content: { confirm: true } });
      try {
        const result = await session.call({ model: 'res.partner', ids: [contact.id] });
        assert.equal(result.isError, false, textOf(result));
        assert.equal(session.asked.length, 1);
        assert.match(session.asked[0]!, new RegExp(`Delete 1 record of Contact \\(res\\.partner\\): “${contact.name}” \\(#${contact.id}\\)`));
      } finally {
        await session.close();
      }
      assert.equal(await exists(contact.id), false);
      assert.deepEqual(await lastOutcomes(2), ['confirmation_requested', 'confirmed']);
    });

    const refusals: Array<[string, Answer]> = [
      ['deletes nothing when the person answers decline', { action: 'decline' }],
      ['deletes nothing when the person answers cancel', { action: 'cancel' }],
    ];
    for (const [title, answer] of refusals) {
      it(title, async () => {
        const contact = await newContact(answer.action);
        const session = await sdk2('2026-07-28', `2.x 2026-07-28 ${answer.action}`, answer);
        try {
          const result = await session.call({ model: 'res.partner', ids: [contact.id] });
          assert.equal(result.isError, true);
          assert.match(textOf(result), /nothing was done/);
          assert.equal(session.asked.length, 1);
        } finally {
          await session.close();
        }
        assert.equal(await exists(contact.id), true, 'the contact is still there');
        assert.deepEqual(await lastOutcomes(2), ['confirmation_requested', 'declined']);
      });
    }
  });

  const tokenClients: Array<[string, () => Promise<Session>]> = [
    ['the 2.x client at 2025-11-25 with an elicitation handler', () => sdk2('2025-11-25', '2.x 2025-11-25', { action: 'accept', content: { confirm: true } })],
    ['the 1.x client without elicitation', () => sdk1('1.x 2025-11-25')],
  ];
  it('runs a confirmation once when 20 answers carrying it arrive at the same time', async () => {
    const contact = await newContact('race');
    const session = await sdk1('1.x race');
    try {
      const token = tokenIn(textOf(await session.call({ model: 'res.partner', ids: [contact.id] })));
      assert.ok(token);
      const answers = await Promise.all(Array.from({ length: 20 }, () => session.call({ model: 'res.partner', ids: [contact.id], confirmation_token: token })));
      const ran = answers.filter((a) => !a.isError).length;
      const used = answers.filter((a) => /already used/.test(textOf(a))).length;
      console.log(`      20 concurrent answers with one token: ${ran} ran, ${used} refused as already used`);
      assert.deepEqual([ran, used], [1, 19]);
    } finally {
      await session.close();
    }
    assert.equal(await exists(contact.id), false);
    assert.deepEqual(await outcomesFor(contact.id), { confirmation_requested: 1, confirmed: 1, invalid: 19 });
  });

  for (const [who, open] of tokenClients) {
    describe(`${who} (preview and confirmation token)`, () => {
      it('deletes nothing on the first call, and deletes on the second call that carries the token', async () => {
        const contact = await newContact(who.slice(4, 18));
        const session = await open();
        try {
          const first = await session.call({ model: 'res.partner', ids: [contact.id] });
          assert.equal(first.isError, true);
          assert.match(textOf(first), /Confirmation needed — nothing was done yet/);
          assert.ok(textOf(first).includes(`“${contact.name}” (#${contact.id})`), textOf(first));
          assert.deepEqual(session.asked, [], 'no elicitation/create on a 2025-era connection');
          // the person said no (or was never asked): the model does not call again, and nothing is deleted
          assert.equal(await exists(contact.id), true);
          const token = tokenIn(textOf(first));
          assert.ok(token);
          console.log('      the person agrees; the model calls again with the token');
          const second = await session.call({ model: 'res.partner', ids: [contact.id], confirmation_token: token });
          assert.equal(second.isError, false, textOf(second));
          const replay = await session.call({ model: 'res.partner', ids: [contact.id], confirmation_token: token });
          assert.match(textOf(replay), /already used/);
        } finally {
          await session.close();
        }
        assert.equal(await exists(contact.id), false);
        assert.deepEqual(await lastOutcomes(3), ['confirmation_requested', 'confirmed', 'invalid']);
      });
    });
  }

  it('does not take the question of a client that asks the person as a confirmation_token (red team F3)', async () => {
    const contact = await newContact('F3');
    const call = (id: number, version: string, caps: Record<string, unknown> | undefined, args: Record<string, unknown>) => {
      const meta = { 'io.modelcontextprotocol/protocolVersion': version, 'io.modelcontextprotocol/clientInfo': { name: 'e2e-f3', version: '1' },
        ...(caps ? { 'io.modelcontextprotocol/clientCapabilities': caps } : {}) };
      return post(mcpUrl, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'odoo_delete', arguments: args, ...(version === '2026-07-28' ? { _meta: meta } : {}) } },
        { Authorization: `Bearer ${fixtures.admin.key}`, 'MCP-Protocol-Version': version, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'odoo_delete' });
    };
    const args = { model: 'res.partner', ids: [contact.id] };
    const asked = (await call(1, '2026-07-28', { elicitation: {} }, args)).json.result as { resultType: string; requestState: string };
    assert.equal(asked.resultType, 'input_required');
    // the model copies the question's state into its arguments: on a 2025 call, and on the eliciting client's own
    const legacy = (await call(2, '2025-11-25', undefined, { ...args, confirmation_token: asked.requestState })).json.result as CallResult;
    assert.equal(legacy.isError, true);
    assert.match(textOf(legacy), /answered only by the person/);
    const modern = (await call(3, '2026-07-28', { elicitation: {} }, { ...args, confirmation_token: asked.requestState })).json.result as { resultType: string };
    assert.equal(modern.resultType, 'input_required', 'the person is asked again');
    assert.equal(await exists(contact.id), true, 'nothing deleted');
    assert.deepEqual(await lastOutcomes(3), ['confirmation_requested', 'invalid', 'confirmation_requested']);
  });
});
