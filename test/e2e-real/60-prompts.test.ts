// Prompts and completions on the real stack (Odoo with Sales, the sidecar, the proxy), with the SDK clients of
// both lines: list the prompts, complete an argument from Odoo's data, get the prompt with the completed value.
import assert from 'node:assert/strict';
import { connect1x, connect2x } from '../support/clients.js';
import { fixtures } from './fixtures.js';
import { mcpUrl, orm } from './stack.js';

interface PromptClient {
  listPrompts(params?: { cursor?: string }): Promise<{ prompts: Array<{ name: string }>; nextCursor?: string }>;
  complete(params: { ref: { type: 'ref/prompt'; name: string }; argument: { name: string; value: string } }): Promise<{ completion: { values: string[] } }>;
  getPrompt(params: { name: string; arguments: Record<string, string> }): Promise<{ messages: Array<{ role: string; content: { type: string; text?: string; uri?: string; resource?: { uri: string; text?: string } } }> }>;
  close(): Promise<void>;
}

const CLIENTS: Array<[string, (key: string) => Promise<PromptClient>]> = [
  ['SDK 2.x client at 2026-07-28', (key) => connect2x(mcpUrl, key, '2026-07-28')],
  ['SDK 2.x client at 2025-11-25', (key) => connect2x(mcpUrl, key, '2025-11-25')],
  ['SDK 1.x client (1.32.2) at 2025-11-25', (key) => connect1x(mcpUrl, key, '2025-11-25')],
];

async function promptNames(client: PromptClient): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listPrompts(cursor ? { cursor } : {});
    names.push(...page.prompts.map((p) => p.name));
    cursor = page.nextCursor;
  } while (cursor);
  return names;
}

const promptAuditRows = () =>
  orm<number>("result(env['llm.mcp.call'].sudo().search_count([('kind', '=', 'prompt'), ('tool_name', '=', 'sales_customer_situation')]))");

describe('prompts and completions through the proxy', () => {
  for (const [label, connect] of CLIENTS) {
    it(`${label}: lists the prompts, completes a customer, gets the prompt with it`, async () => {
      const client = await connect(fixtures.admin.key);
      try {
        const names = await promptNames(client);
        for (const name of ['sales_quotations_to_confirm', 'sales_customer_situation', 'accounting_overdue_invoices', 'explain_record']) {
          assert.ok(names.includes(name), `${name} missing from ${names.join(', ')}`);
        }
        // the stack installs no Inventory nor CRM: their prompts are simply not offered
        assert.ok(!names.includes('inventory_below_reorder_point') && !names.includes('crm_pipeline_review'), names.join(', '));

        const done = await client.complete({ ref: { type: 'ref/prompt', name: 'sales_customer_situation' }, argument: { name: 'customer', value: 'Deco Add' } });
        assert.ok(done.completion.values.includes('Deco Addict'), done.completion.values.join(', '));

        const before = await promptAuditRows();
        const got = await client.getPrompt({ name: 'sales_customer_situation', arguments: { customer: 'Deco Addict' } });
        const [card, orders, link] = got.messages;
        assert.equal(card!.content.type, 'resource');
        assert.match(card!.content.resource!.uri, /^odoo:\/\/res\.partner\/\d+$/);
        assert.match(card!.content.resource!.text ?? '', /Deco Addict/);
        assert.match(orders!.content.text ?? '', /"records": \[\{"id": \d+, "name": "S\d+"/);
        assert.equal(link!.content.type, 'resource_link');
        assert.match(link!.content.uri ?? '', /^odoo:\/\/export\/sale\.order\.csv\?domain=/);
        assert.match(got.messages.at(-1)!.content.text ?? '', /Deco Addict's situation/);
        assert.equal(await promptAuditRows(), before + 1, 'one audit row for the prompts/get');
      } finally {
        await client.close();
      }
    });
  }

  it('hides the Sales prompts from a user without Sales rights, and refuses them with -32602', async () => {
    const client = await connect2x(mcpUrl, fixtures.restricted.key, '2026-07-28');
    try {
      const names = await promptNames(client);
      assert.ok(!names.some((n) => n.startsWith('sales_') || n.startsWith('accounting_')), names.join(', '));
      await assert.rejects(client.getPrompt({ name: 'sales_customer_situation', arguments: { customer: 'Deco Addict' } }), (err: { code?: number; message: string }) => {
        assert.equal(err.code, -32602);
        assert.doesNotMatch(err.message, /Deco Addict/);
        return true;
      });
    } finally {
      await client.close();
    }
  });
});
