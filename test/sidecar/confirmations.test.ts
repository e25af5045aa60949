// Confirmations through the sidecar (docs/contract.md "Confirmations"): Odoo's "ask the person first" becomes an
// MRTR elicitation for 2026-07-28 clients that declare it, and a tool result with a confirmation token for every
// other client; the retry is relayed to Odoo, which alone decides. The stand-in plays the addon's part.

import assert from 'node:assert/strict';
import { Client as Client2, StreamableHTTPClientTransport as Transport2 } from '@modelcontextprotocol/client';
import { after, before, describe, it } from 'mocha';
import { connect1x } from '../support/clients.js';
import { CAROL_KEY, CAROL_SECOND_KEY } from '../support/odooStandIn.js';
import { modern, post } from '../support/rawMcp.js';
import { sidecarOnStandIn, startSidecar, type RunningSidecar } from '../support/sidecarHarness.js';
import { startBundledSidecar, type SidecarProcess } from '../support/sidecarProcess.js';

type Answer = { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, string | number | boolean | string[]> };

/** A 2.x client; with `answer`, it declares form elicitation and answers every question so. */
async function client2(url: string, version: '2026-07-28' | '2025-11-25', answer?: Answer, asked: string[] = []): Promise<Client2> {
  const transport = new Transport2(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${CAROL_KEY}` } } });
  const client = new Client2(
    { name: 'confirm-test-2x', version: '2.4.0' },
    {
      ...(version === '2026-07-28' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : { supportedProtocolVersions: [version] }),
      ...(answer ? { capabilities: { elicitation: { form: {} } } } : {}),
    },
  );
  if (answer) {
    client.setRequestHandler('elicitation/create', (request) => {
      asked.push((request.params as { message: string }).message);
      return Promise.resolve(answer);
    });
  }
  await client.connect(transport);
  return client;
}

const textOf = (r: { content?: unknown }) => ((r.content as Array<{ text?: string }> | undefined) ?? []).map((c) => c.text ?? '').join('\n');
const tokenIn = (text: string) => /"confirmation_token": "([^"]+)"/.exec(text)?.[1];

describe('confirmations', function () {
  this.timeout(60_000);
  const stack = sidecarOnStandIn();

  const outcomes = (from: number) => stack.odoo.audit.slice(from).map((r) => r.outcome);

  describe('a 2026-07-28 client that declares elicitation gets input_required (MRTR)', () => {
    it('asks the person with the preview and deletes once they accept', async () => {
      const asked: string[] = [];
      const client = await client2(stack.sidecar.mcpUrl, '2026-07-28', { action: 'accept', content: { confirm: true } }, asked);
      const from = stack.odoo.audit.length;
      const result = await client.callTool({ name: 'odoo_delete', arguments: { model: 'res.partner', ids: [41] } });
      await client.close();
      assert.equal(result.isError, false, textOf(result));
      assert.deepEqual(result.structuredContent, { deleted: 1, ids: [41] });
      assert.equal(asked.length, 1);
      assert.match(asked[0]!, /Delete 1 record of Contact \(res\.partner\): “Azure Interior” \(#41\)/);
      assert.equal(stack.odoo.records.has(41), false);
      assert.deepEqual(outcomes(from), ['confirmation_requested', 'confirmed']);
      // the retry carried the person's answer to Odoo, with the state Odoo issued
      const retry = stack.odoo.calls.at(-1)!;
      assert.equal((retry.confirmation as { answer: string }).answer, 'accept');
    });

    const refusals: Array<[string, Answer]> = [
      ['deletes nothing on decline', { action: 'decline' }],
      ['deletes nothing on cancel', { action: 'cancel' }],
      ['deletes nothing on accept with "no"', { action: 'accept', content: { confirm: false } }],
    ];
    for (const [title, answer] of refusals) {
      it(title, async () => {
        const client = await client2(stack.sidecar.mcpUrl, '2026-07-28', answer);
        const from = stack.odoo.audit.length;
        const result = await client.callTool({ name: 'odoo_delete', arguments: { model: 'res.partner', ids: [42] } });
        await client.close();
        assert.equal(result.isError, true);
        assert.match(textOf(result), /^The person (declined|cancelled) the call of odoo_delete: nothing was done\. Do not retry it unless they ask you to\.$/);
        assert.equal(stack.odoo.records.has(42), true);
        assert.deepEqual(outcomes(from), ['confirmation_requested', 'declined']);
      });
    }
  });

  describe('clients without in-band elicitation get the preview and a token', () => {
    const cases: Array<[string, () => Promise<{ callTool: Client2['callTool']; close(): Promise<void> }>, () => string[]]> = [];
    const asked2025: string[] = [];
    cases.push(['a 2026-07-28 client without elicitation: runs only on the second call that carries the token',
      () => client2(stack.sidecar.mcpUrl, '2026-07-28'), () => []]);
    cases.push(['a 2025-11-25 client with elicitation: runs only on the second call that carries the token',
      () => client2(stack.sidecar.mcpUrl, '2025-11-25', { action: 'accept', content: { confirm: true } }, asked2025), () => asked2025]);
    cases.push(['the 1.x client: runs only on the second call that carries the token',
      () => connect1x(stack.sidecar.mcpUrl, CAROL_KEY, '2025-11-25') as never, () => []]);
    cases.forEach(([title, connect, asked], i) => {
      it(title, async () => {
        const id = 70 + i;
        stack.odoo.records.set(id, `Record ${id}`);
        const client = await connect();
        const from = stack.odoo.audit.length;
        const first = await client.callTool({ name: 'odoo_delete', arguments: { model: 'res.partner', ids: [id] } });
        assert.equal(first.isError, true);
        assert.match(textOf(first), /Confirmation needed — nothing was done yet/);
        assert.match(textOf(first), new RegExp(`“Record ${id}” \\(#${id}\\)`));
        assert.equal(stack.odoo.records.has(id), true, 'nothing deleted by the first call');
        assert.deepEqual(asked(), [], 'no elicitation/create is sent on a 2025-era connection');
        const token = tokenIn(textOf(first));
        assert.ok(token, textOf(first));
        const second = await client.callTool({ name: 'odoo_delete', arguments: { model: 'res.partner', ids: [id], confirmation_token: token } });
        await client.close();
        assert.equal(second.isError, false, textOf(second));
        assert.equal(stack.odoo.records.has(id), false);
        assert.deepEqual(outcomes(from), ['confirmation_requested', 'confirmed']);
      });
    });
  });

  describe('the state', () => {
    let other: RunningSidecar;
    before(async () => {
      other = await startSidecar(stack.odoo.url);
    });
    after(async () => other?.close());

    async function ask(url: string, ids: number[], key = CAROL_KEY): Promise<string> {
      const [body, headers] = modern(key, 1, 'tools/call', { name: 'odoo_delete', arguments: { model: 'res.partner', ids } });
      const caps = { ...(body as { params: { _meta: Record<string, unknown> } }).params._meta, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
      (body as { params: { _meta: unknown } }).params._meta = caps;
      const answer = await post(url, body, headers);
      assert.equal(answer.status, 200, answer.text);
      const result = answer.json.result;
      assert.equal(result.resultType, 'input_required', answer.text);
      assert.equal(result.inputRequests.confirm.method, 'elicitation/create');
      assert.equal(result.inputRequests.confirm.params.mode, 'form');
      assert.equal(result.inputRequests.confirm.params.requestedSchema.properties.confirm.type, 'boolean');
      return result.requestState as string;
    }

    async function retry(url: string, ids: number[], state: string, key = CAROL_KEY, action = 'accept') {
      const [body, headers] = modern(key, 2, 'tools/call', {
        name: 'odoo_delete',
        arguments: { model: 'res.partner', ids },
        inputResponses: { confirm: { action, content: { confirm: true } } },
        requestState: state,
      });
      const answer = await post(url, body, headers);
      assert.equal(answer.status, 200, answer.text);
      return answer.json.result as { isError?: boolean; content: Array<{ text: string }>; resultType?: string };
    }

    it('is accepted by another sidecar than the one that issued it, once', async () => {
      stack.odoo.records.set(50, 'Moved Replica Ltd');
      const state = await ask(stack.sidecar.mcpUrl, [50]);
      const done = await retry(other.mcpUrl, [50], state);
      assert.equal(done.isError, false, JSON.stringify(done));
      assert.equal(stack.odoo.records.has(50), false);
      stack.odoo.records.set(50, 'Moved Replica Ltd');
      const replay = await retry(stack.sidecar.mcpUrl, [50], state);
      assert.equal(replay.isError, true);
      assert.match(replay.content[0]!.text, /already used/);
      assert.equal(stack.odoo.records.has(50), true);
      assert.equal(stack.odoo.audit.at(-1)!.outcome, 'invalid');
    });

    it('is refused for other arguments, another key, and once expired', async () => {
      stack.odoo.records.set(51, 'Bound Ltd');
      stack.odoo.records.set(52, 'Other Ltd');
      const state = await ask(stack.sidecar.mcpUrl, [51]);
      assert.match((await retry(stack.sidecar.mcpUrl, [52], state)).content[0]!.text, /other arguments/);
      assert.match((await retry(stack.sidecar.mcpUrl, [51], state, CAROL_SECOND_KEY)).content[0]!.text, /not valid for this key/);
      assert.match((await retry(stack.sidecar.mcpUrl, [51], `${state.slice(0, -2)}00`)).content[0]!.text, /not valid/);
      stack.odoo.confirmationTtlMs = -1000;
      try {
        const stale = await ask(stack.sidecar.mcpUrl, [51]);
        assert.match((await retry(stack.sidecar.mcpUrl, [51], stale)).content[0]!.text, /expired/);
        assert.equal(stack.odoo.audit.at(-1)!.outcome, 'expired');
      } finally {
        stack.odoo.confirmationTtlMs = 300_000;
      }
      assert.ok(stack.odoo.records.has(51) && stack.odoo.records.has(52), 'nothing was deleted');
    });

    it('asks again when a retry carries the state but no answer', async () => {
      stack.odoo.records.set(53, 'Unanswered Ltd');
      const state = await ask(stack.sidecar.mcpUrl, [53]);
      const [body, headers] = modern(CAROL_KEY, 3, 'tools/call', { name: 'odoo_delete', arguments: { model: 'res.partner', ids: [53] }, requestState: state });
      const params = (body as { params: { _meta: Record<string, unknown> } }).params;
      params._meta = { ...params._meta, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } }; // a copy: rawMcp shares _meta
      const again = await post(stack.sidecar.mcpUrl, body, headers);
      assert.equal(again.json.result.resultType, 'input_required', again.text);
      assert.equal(stack.odoo.records.has(53), true);
    });
  });

  describe('the model cannot answer for a person whose client asks them (F3)', () => {
    /** A 2026-07-28 tools/call of odoo_delete from a client that declares elicitation, with these extra arguments. */
    async function elicitingCall(id: number, ids: number[], extra: Record<string, unknown> = {}) {
      const [body, headers] = modern(CAROL_KEY, id, 'tools/call', { name: 'odoo_delete', arguments: { model: 'res.partner', ids, ...extra } });
      const params = (body as { params: { _meta: Record<string, unknown> } }).params;
      params._meta = { ...params._meta, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
      const answer = await post(stack.sidecar.mcpUrl, body, headers);
      assert.equal(answer.status, 200, answer.text);
      return answer.json.result as { resultType?: string; requestState?: string; isError?: boolean; content?: Array<{ text: string }> };
    }

    it('a model that passes the requestState as confirmation_token gets the person asked, and deletes nothing', async () => {
      stack.odoo.records.set(54, 'Skipped Person Ltd');
      const asked = await elicitingCall(11, [54]);
      assert.equal(asked.resultType, 'input_required');
      const state = asked.requestState!;
      assert.equal(stack.odoo.calls.at(-1)!.confirm_with, 'elicitation', 'Odoo is told the person is asked through elicitation');
      // the model copies the question's state into its arguments, with no answer from the person
      const from = stack.odoo.audit.length;
      const again = await elicitingCall(12, [54], { confirmation_token: state });
      assert.equal(again.resultType, 'input_required', JSON.stringify(again));
      assert.equal(stack.odoo.records.has(54), true, 'nothing deleted');
      const relayed = stack.odoo.calls.at(-1)!;
      assert.equal(relayed.confirmation, undefined, 'a model-supplied token is never relayed as the person\'s answer');
      assert.deepEqual(outcomes(from), ['confirmation_requested']);
      // nor does it count as a token on a call that has no elicitation
      const [body, headers] = modern(CAROL_KEY, 13, 'tools/call', { name: 'odoo_delete', arguments: { model: 'res.partner', ids: [54], confirmation_token: state } });
      const plain = (await post(stack.sidecar.mcpUrl, body, headers)).json.result as { isError?: boolean; content: Array<{ text: string }> };
      assert.equal(plain.isError, true);
      assert.match(plain.content[0]!.text, /answered only by the person/);
      assert.equal(stack.odoo.records.has(54), true, 'nothing deleted');
      assert.equal(stack.odoo.audit.at(-1)!.outcome, 'invalid');
    });

    it('a valid confirmation_token from a call without elicitation does not skip the question', async () => {
      stack.odoo.records.set(55, 'Token Elsewhere Ltd');
      const [body, headers] = modern(CAROL_KEY, 14, 'tools/call', { name: 'odoo_delete', arguments: { model: 'res.partner', ids: [55] } });
      const first = (await post(stack.sidecar.mcpUrl, body, headers)).json.result as { content: Array<{ text: string }> };
      assert.equal(stack.odoo.calls.at(-1)!.confirm_with, undefined, 'no elicitation: the token channel');
      const token = tokenIn(first.content[0]!.text);
      assert.ok(token);
      const from = stack.odoo.audit.length;
      const asked = await elicitingCall(15, [55], { confirmation_token: token });
      assert.equal(asked.resultType, 'input_required', JSON.stringify(asked));
      assert.equal(stack.odoo.records.has(55), true, 'nothing deleted');
      assert.deepEqual(outcomes(from), ['confirmation_requested']);
    });
  });

  describe('two sidecar processes', () => {
    let a: SidecarProcess;
    let b: SidecarProcess;
    before(async function () {
      this.timeout(120_000);
      a = await startBundledSidecar({ ODOO_URL: stack.odoo.url });
      b = await startBundledSidecar({ ODOO_URL: stack.odoo.url });
    });
    after(async () => Promise.all([a?.stop(), b?.stop()]));

    it('a 2026-07-28 client asked by one process is served its retry by the other', async () => {
      stack.odoo.records.set(60, 'Two Processes Ltd');
      // the 2.x client's own MRTR driver; its tools/call requests go to process A, then B, in turn
      const served: string[] = [];
      const alternate: typeof fetch = (input, init) => {
        const url = new URL(String(input instanceof Request ? input.url : input));
        let base = a.url;
        if (typeof init?.body === 'string' && init.body.includes('"tools/call"')) {
          base = served.length % 2 === 0 ? a.url : b.url;
          served.push(base === a.url ? 'A' : 'B');
        }
        return fetch(new URL(`${base}${url.pathname}`), init);
      };
      const transport = new Transport2(new URL(`${a.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${CAROL_KEY}` } }, fetch: alternate });
      const client = new Client2({ name: 'two-replicas', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: { form: {} } } });
      client.setRequestHandler('elicitation/create', () => Promise.resolve({ action: 'accept' as const, content: { confirm: true } }));
      await client.connect(transport);
      const from = stack.odoo.audit.length;
      const result = await client.callTool({ name: 'odoo_delete', arguments: { model: 'res.partner', ids: [60] } });
      await client.close();
      assert.equal(result.isError, false, textOf(result));
      assert.equal(stack.odoo.records.has(60), false);
      assert.deepEqual(outcomes(from), ['confirmation_requested', 'confirmed']);
      assert.deepEqual(served, ['A', 'B'], 'asked by process A, confirmed through process B');
    });
  });
});
