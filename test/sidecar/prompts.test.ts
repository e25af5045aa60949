// Prompts and completions through the sidecar, relayed to the contract stand-in: what each SDK client line
// sees (list, complete, get), the 2026-07-28 caching hints, pagination over Odoo's pages, and Odoo's
// refusals (unknown or hidden prompt, bad arguments) as JSON-RPC -32602 with their audit row.

import assert from 'node:assert/strict';
import { ALICE_KEY, ALICE_READ_ONLY_KEY, BOB_KEY } from '../support/odooStandIn.js';
import { sidecarOnStandIn } from '../support/sidecarHarness.js';
import { fixture } from '../support/contractFiles.js';
import { connect1x, connect2x } from '../support/clients.js';
import { modern, post } from '../support/rawMcp.js';

describe('prompts and completions', function () {
  const stack = sidecarOnStandIn({ TOOLS_PAGE_SIZE: '2' });

  async function listAll(list: (cursor?: string) => Promise<{ prompts: Array<{ name: string }>; nextCursor?: string }>) {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(cursor);
      names.push(...page.prompts.map((p) => p.name));
      cursor = page.nextCursor;
    } while (cursor);
    return names;
  }

  for (const version of ['2026-07-28', '2025-11-25'] as const) {
    it(`2.x client at ${version}: lists the caller's prompts, completes an argument, gets the prompt with it`, async () => {
      const client = await connect2x(stack.sidecar.mcpUrl, ALICE_KEY, version);
      try {
        assert.ok(client.getServerCapabilities()?.prompts, 'prompts capability declared');
        assert.ok(client.getServerCapabilities()?.completions, 'completions capability declared');
        const names = await listAll((cursor) => client.listPrompts(cursor ? { cursor } : {}));
        assert.deepEqual(names.sort(), [
          'sales_customer_situation', 'test_prompt_with_arguments', 'test_prompt_with_embedded_resource',
          'test_prompt_with_image', 'test_simple_prompt',
        ]);
        const done = await client.complete({ ref: { type: 'ref/prompt', name: 'sales_customer_situation' }, argument: { name: 'customer', value: 'Stand' } });
        assert.deepEqual(done.completion.values, ['Stand-in Contact']);
        const got = await client.getPrompt({ name: 'sales_customer_situation', arguments: { customer: done.completion.values[0]! } });
        const resource = got.messages[0]!.content as { type: string; resource: { uri: string } };
        assert.equal(resource.type, 'resource');
        assert.equal(resource.resource.uri, 'odoo://res.partner/41');
        // Odoo's messages (the contract fixture `prompt`): the card, then orders and invoices, each with its export link
        assert.deepEqual(got.messages.map((m) => m.content.type), ['resource', 'text', 'resource_link', 'text', 'resource_link', 'text']);
        assert.match((got.messages[2]!.content as { uri: string }).uri, /^odoo:\/\/export\/sale\.order\.csv\?domain=.*%2C41%5D/);
        const row = stack.odoo.audit.at(-1)!;
        assert.deepEqual([row.kind, row.tool, row.outcome, row.userId], ['prompt', 'sales_customer_situation', 'ok', 2]);
      } finally {
        await client.close();
      }
    });
  }

  it('1.x client (2025-11-25): lists, completes and gets a prompt', async () => {
    const client = await connect1x(stack.sidecar.mcpUrl, ALICE_KEY, '2025-11-25');
    try {
      const names = await listAll((cursor) => client.listPrompts(cursor ? { cursor } : {}));
      assert.equal(names.length, 5);
      const done = await client.complete({ ref: { type: 'ref/prompt', name: 'sales_customer_situation' }, argument: { name: 'customer', value: 'Stand' } });
      assert.deepEqual(done.completion, fixture('complete-record').response.body.completion);
      const got = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'testValue1', arg2: 'testValue2' } });
      assert.deepEqual(got.messages, [{ role: 'user', content: { type: 'text', text: "Prompt with arguments: arg1='testValue1', arg2='testValue2'" } }]);
    } finally {
      await client.close();
    }
  });

  it('prompts/list carries ttlMs and cacheScope private (2026-07-28) and follows Odoo\'s pages', async () => {
    const before = stack.odoo.promptCounts.prompts;
    const list = await post(stack.sidecar.mcpUrl, ...modern(ALICE_KEY, 1, 'prompts/list'));
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.result.cacheScope, 'private');
    assert.equal(typeof list.json.result.ttlMs, 'number');
    assert.equal(list.json.result.prompts.length, 2); // the sidecar's page size
    assert.equal(typeof list.json.result.nextCursor, 'string');
    assert.equal(stack.odoo.promptCounts.prompts - before, 2, 'five prompts in pages of three at Odoo');
  });

  it('refuses a cursor from another list with -32602', async () => {
    const list = await post(stack.sidecar.mcpUrl, ...modern(ALICE_KEY, 1, 'prompts/list', { cursor: 'bm90LWEtY3Vyc29y' }));
    assert.equal(list.json.error.code, -32602);
  });

  it("hides a prompt from a user without the rights it needs: not listed, and prompts/get is -32602, audited 'denied'", async () => {
    const client = await connect2x(stack.sidecar.mcpUrl, BOB_KEY, '2026-07-28');
    try {
      const names = await listAll((cursor) => client.listPrompts(cursor ? { cursor } : {}));
      assert.ok(!names.includes('sales_customer_situation'), names.join(','));
      await assert.rejects(client.getPrompt({ name: 'sales_customer_situation', arguments: { customer: 'Azure Interior' } }), (err: { code?: number; message: string }) => {
        assert.equal(err.code, -32602);
        assert.match(err.message, /No prompt named 'sales_customer_situation' is available to you/);
        return true;
      });
      const row = stack.odoo.audit.at(-1)!;
      assert.deepEqual([row.kind, row.outcome, row.userId], ['prompt', 'denied', 6]);
      // and nothing of Alice's is completed for Bob
      await assert.rejects(client.complete({ ref: { type: 'ref/prompt', name: 'sales_customer_situation' }, argument: { name: 'customer', value: '' } }), /-32602|available/);
    } finally {
      await client.close();
    }
  });

  it('a missing required argument, an unknown argument and an unknown record are -32602 with Odoo\'s message', async () => {
    const client = await connect2x(stack.sidecar.mcpUrl, ALICE_KEY, '2026-07-28');
    try {
      for (const [args, message] of [
        [{}, /Missing required argument 'customer'/],
        [{ customer: 'Stand-in Contact', evil: 'x' }, /Unknown argument\(s\) 'evil'/],
        [{ customer: 'Nobody Such Ltd' }, /no Contact 'Nobody Such Ltd' that you can see/],
      ] as const) {
        await assert.rejects(client.getPrompt({ name: 'sales_customer_situation', arguments: args }), (err: { code?: number; message: string }) => {
          assert.equal(err.code, -32602);
          assert.match(err.message, message);
          return true;
        });
        assert.deepEqual([stack.odoo.audit.at(-1)!.kind, stack.odoo.audit.at(-1)!.outcome], ['prompt', 'invalid']);
      }
    } finally {
      await client.close();
    }
  });

  it('answers prompt arguments that are not text (object, array, number, null, boolean) with -32602 naming the argument, before Odoo is asked', async () => {
    for (const value of [{ x: 1 }, [1, 2], 42, null, true]) {
      const before = stack.odoo.promptCounts.prompt;
      const [body, headers] = modern(ALICE_KEY, 7, 'prompts/get', { name: 'test_prompt_with_arguments', arguments: { arg1: value } });
      const answer = await post(stack.sidecar.mcpUrl, body, headers);
      const error = answer.json?.error as { code: number; message: string } | undefined;
      assert.equal(error?.code, -32602, answer.text);
      // the SDK's spec-schema verdict in the words of every spec request's (errorMapping.ts, invalidParamsOr)
      assert.match(error.message, /^Invalid params for prompts\/get: arguments\.arg1: .*string/, answer.text);
      assert.doesNotMatch(answer.text, /invalid_type|"path"|"expected"|\\n/, 'a validator dump reached the client');
      assert.equal(stack.odoo.promptCounts.prompt, before, 'Odoo was asked');
    }
  });

  it('relays text arguments Odoo decides on (huge, NUL, lone surrogates) and answers each with JSON', async () => {
    for (const value of ['x'.repeat(500_000), 'a\u0000b', 'a\ud800b']) {
      const [body, headers] = modern(ALICE_KEY, 8, 'prompts/get', { name: 'test_prompt_with_arguments', arguments: { arg1: value } });
      const answer = await post(stack.sidecar.mcpUrl, body, headers);
      assert.ok(answer.json?.result ?? answer.json?.error, answer.text.slice(0, 300));
      if (answer.json.error) assert.equal(answer.json.error.code, -32602, answer.text.slice(0, 300));
    }
  });

  it('completes resource-template variables without hidden models, and refuses an unknown template with -32602', async () => {
    const client = await connect2x(stack.sidecar.mcpUrl, ALICE_READ_ONLY_KEY, '2026-07-28');
    try {
      const models = await client.complete({ ref: { type: 'ref/resource', uri: 'odoo://{model}/{id}' }, argument: { name: 'model', value: 'res.users' } });
      // Odoo's answer (fixture complete-model): the users' models a tool may read, never their API keys
      assert.deepEqual(models.completion, fixture('complete-model').response.body.completion);
      assert.ok(models.completion.values.includes('res.users') && !models.completion.values.includes('res.users.apikeys'), models.completion.values.join(','));
      await assert.rejects(client.complete({ ref: { type: 'ref/resource', uri: 'file:///{path}' }, argument: { name: 'path', value: '' } }), /No resource template/);
    } finally {
      await client.close();
    }
  });

  it('prompts/get without its Mcp-Name header is refused by the SDK (2026-07-28), before Odoo is asked', async () => {
    const before = stack.odoo.promptCounts.prompt;
    const [body, headers] = modern(ALICE_KEY, 3, 'prompts/get', { name: 'test_simple_prompt' });
    delete headers['Mcp-Name'];
    const answer = await post(stack.sidecar.mcpUrl, body, headers);
    assert.equal(answer.status, 400, answer.text);
    assert.equal(stack.odoo.promptCounts.prompt, before);
  });
});
