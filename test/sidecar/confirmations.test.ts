// Confirmations through the sidecar (docs/contract.md "Confirmations"): Odoo's "ask the person first" becomes an
// MRTR elicitation for 2026-07-28 clients that declare it, and a tool result with a confirmation token for every
// other client; the retry is relayed to Odoo, which alone decides (its rules: the addon's TestConfirmations).
// The stand-in answers each step with Odoo's recorded answer (the confirmation-* fixtures), chosen by each test
// as the sequence Odoo gave (`serve`); what the sidecar relayed is read from `odoo.calls`.

import assert from 'node:assert/strict';
import { Client as Client2, StreamableHTTPClientTransport as Transport2 } from '@modelcontextprotocol/client';
import { after, before, describe, it } from 'mocha';
import { connect1x } from '../support/clients.js';
import { fixture } from '../support/contractFiles.js';
import { CAROL_KEY } from '../support/odooStandIn.js';
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
  /** The state Odoo issued in its recorded question (the fixtures keep it as a placeholder). */
  const STATE = (fixture('confirmation-requested').response.body.confirmation as { state: string }).state;
  const PREVIEW = (fixture('confirmation-requested').response.body.confirmation as { message: string }).message;
  const DELETE_41 = { model: 'res.partner', ids: [41] };

  describe('a 2026-07-28 client that declares elicitation gets input_required (MRTR)', () => {
    it('asks the person with the preview and deletes once they accept', async () => {
      const asked: string[] = [];
      const client = await client2(stack.sidecar.mcpUrl, '2026-07-28', { action: 'accept', content: { confirm: true } }, asked);
      const from = stack.odoo.audit.length;
      stack.odoo.serve('odoo_delete', 'confirmation-requested-elicitation', 'confirmation-accepted');
      const result = await client.callTool({ name: 'odoo_delete', arguments: DELETE_41 });
      await client.close();
      assert.equal(result.isError, false, textOf(result));
      assert.deepEqual(result.structuredContent, { deleted: 1, ids: [41] });
      assert.equal(asked.length, 1);
      assert.ok(asked[0]!.includes(PREVIEW), asked[0]);
      assert.deepEqual(outcomes(from), ['confirmation_requested', 'ok']);
      // the retry carried the person's answer to Odoo, with the state Odoo issued, and the same arguments
      const retry = stack.odoo.calls.at(-1)!;
      assert.deepEqual(retry.confirmation, { state: STATE, answer: 'accept' });
      assert.deepEqual(retry.arguments, DELETE_41);
    });

    // the person's answer goes to Odoo as it is (an accept with "no" as decline); Odoo's refusal comes back
    const refusals: Array<[string, Answer, string, string]> = [
      ['deletes nothing on decline', { action: 'decline' }, 'decline', 'confirmation-declined'],
      ['deletes nothing on cancel', { action: 'cancel' }, 'cancel', 'confirmation-cancelled'],
      ['deletes nothing on accept with "no"', { action: 'accept', content: { confirm: false } }, 'decline', 'confirmation-declined'],
    ];
    for (const [title, answer, relayed, odoo] of refusals) {
      it(title, async () => {
        const client = await client2(stack.sidecar.mcpUrl, '2026-07-28', answer);
        stack.odoo.serve('odoo_delete', 'confirmation-requested-elicitation', odoo);
        const result = await client.callTool({ name: 'odoo_delete', arguments: DELETE_41 });
        await client.close();
        assert.equal(result.isError, true);
        assert.equal(textOf(result), (fixture(odoo).response.body.content as Array<{ text: string }>)[0]!.text);
        assert.deepEqual(stack.odoo.calls.at(-1)!.confirmation, { state: STATE, answer: relayed });
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
    cases.forEach(([title, connect, asked]) => {
      it(title, async () => {
        const client = await connect();
        stack.odoo.serve('odoo_delete', 'confirmation-requested', 'confirmation-accepted');
        const first = await client.callTool({ name: 'odoo_delete', arguments: DELETE_41 });
        assert.equal(first.isError, true);
        assert.match(textOf(first), /Confirmation needed — nothing was done yet/);
        assert.ok(textOf(first).includes(PREVIEW), textOf(first));
        assert.equal(stack.odoo.calls.at(-1)!.confirm_with, undefined, 'Odoo was told the client asks no one');
        assert.deepEqual(asked(), [], 'no elicitation/create is sent on a 2025-era connection');
        const token = tokenIn(textOf(first));
        assert.equal(token, STATE, textOf(first));
        const second = await client.callTool({ name: 'odoo_delete', arguments: { ...DELETE_41, confirmation_token: token } });
        await client.close();
        assert.equal(second.isError, false, textOf(second));
        assert.deepEqual(stack.odoo.calls.at(-1)!.arguments, { ...DELETE_41, confirmation_token: STATE }, 'the token went to Odoo as an argument');
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
      // once is Odoo's rule (TestConfirmations.test_a_replayed_state_is_refused): the replay goes to Odoo, whose refusal comes back
      stack.odoo.serve('odoo_delete', 'confirmation-requested-elicitation', 'confirmation-accepted', 'confirmation-used');
      const state = await ask(stack.sidecar.mcpUrl, [41]);
      const done = await retry(other.mcpUrl, [41], state);
      assert.equal(done.isError, false, JSON.stringify(done));
      assert.deepEqual(stack.odoo.calls.at(-1)!.confirmation, { state: STATE, answer: 'accept' }, 'the other sidecar relayed the state Odoo issued');
      const replay = await retry(stack.sidecar.mcpUrl, [41], state);
      assert.equal(replay.isError, true);
      assert.match(replay.content[0]!.text, /already used/);
      assert.deepEqual(stack.odoo.calls.at(-1)!.confirmation, { state: STATE, answer: 'accept' }, 'the replay was relayed, not answered by the sidecar');
    });

    it('asks again when a retry carries the state but no answer', async () => {
      stack.odoo.serve('odoo_delete', 'confirmation-requested-elicitation', 'confirmation-requested-elicitation');
      const state = await ask(stack.sidecar.mcpUrl, [41]);
      const [body, headers] = modern(CAROL_KEY, 3, 'tools/call', { name: 'odoo_delete', arguments: DELETE_41, requestState: state });
      const params = (body as { params: { _meta: Record<string, unknown> } }).params;
      params._meta = { ...params._meta, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } }; // a copy: rawMcp shares _meta
      const again = await post(stack.sidecar.mcpUrl, body, headers);
      assert.equal(again.json.result.resultType, 'input_required', again.text);
      assert.equal(stack.odoo.calls.at(-1)!.confirmation, undefined, 'a state without an answer is no confirmation');
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
      stack.odoo.serve('odoo_delete', 'confirmation-requested-elicitation', 'confirmation-requested-elicitation');
      const asked = await elicitingCall(11, [41]);
      assert.equal(asked.resultType, 'input_required');
      const state = asked.requestState!;
      assert.equal(stack.odoo.calls.at(-1)!.confirm_with, 'elicitation', 'Odoo is told the person is asked through elicitation');
      // the model copies the question's state into its arguments, with no answer from the person
      const from = stack.odoo.audit.length;
      const again = await elicitingCall(12, [41], { confirmation_token: state });
      assert.equal(again.resultType, 'input_required', JSON.stringify(again));
      const relayed = stack.odoo.calls.at(-1)!;
      assert.equal(relayed.confirmation, undefined, 'a model-supplied token is never relayed as the person\'s answer');
      assert.equal(relayed.confirm_with, 'elicitation', 'Odoo is told the person is asked, so it takes no token (TestConfirmations.test_a_token_does_not_skip_the_person_whose_client_asks_them)');
      assert.deepEqual(outcomes(from), ['confirmation_requested']);
      // nor does it count as a token on a call that has no elicitation: Odoo refuses it, and its words come back
      stack.odoo.serve('odoo_delete', 'confirmation-person-only');
      const [body, headers] = modern(CAROL_KEY, 13, 'tools/call', { name: 'odoo_delete', arguments: { ...DELETE_41, confirmation_token: state } });
      const plain = (await post(stack.sidecar.mcpUrl, body, headers)).json.result as { isError?: boolean; content: Array<{ text: string }> };
      assert.equal(plain.isError, true);
      assert.match(plain.content[0]!.text, /answered only by the person/);
    });

    it('a valid confirmation_token from a call without elicitation does not skip the question', async () => {
      stack.odoo.serve('odoo_delete', 'confirmation-requested', 'confirmation-requested-elicitation');
      const [body, headers] = modern(CAROL_KEY, 14, 'tools/call', { name: 'odoo_delete', arguments: DELETE_41 });
      const first = (await post(stack.sidecar.mcpUrl, body, headers)).json.result as { content: Array<{ text: string }> };
      assert.equal(stack.odoo.calls.at(-1)!.confirm_with, undefined, 'no elicitation: the token channel');
      const token = tokenIn(first.content[0]!.text);
      assert.ok(token);
      const from = stack.odoo.audit.length;
      const asked = await elicitingCall(15, [41], { confirmation_token: token });
      assert.equal(asked.resultType, 'input_required', JSON.stringify(asked));
      assert.equal(stack.odoo.calls.at(-1)!.confirm_with, 'elicitation', 'Odoo is told the person is asked, so it takes no token');
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
      stack.odoo.serve('odoo_delete', 'confirmation-requested-elicitation', 'confirmation-accepted');
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
      const result = await client.callTool({ name: 'odoo_delete', arguments: DELETE_41 });
      await client.close();
      assert.equal(result.isError, false, textOf(result));
      assert.deepEqual(stack.odoo.calls.at(-1)!.confirmation, { state: STATE, answer: 'accept' });
      assert.deepEqual(outcomes(from), ['confirmation_requested', 'ok']);
      assert.deepEqual(served, ['A', 'B'], 'asked by process A, confirmed through process B');
    });
  });
});
