// TEST CODE ONLY. Lists and calls the tools of some Odoo modules through a running sidecar, for admin and for an
// employee with no other rights, and prints per module: tools registered, listed, called, and how the calls
// ended. Run by test/support/tryToolModules.sh, which makes the database, the keys and MODULES_JSON
// ({"module": [{"name", "active"}]}); ARGS_JSON optionally gives the arguments of some tools.

import { readFileSync } from 'node:fs';
import { connect2x } from './clients.js';

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; enum?: unknown[];
  items?: Schema; minItems?: number; format?: string };

const url = process.env.MCP_URL ?? 'http://127.0.0.1:8188/mcp';
const keys = JSON.parse(readFileSync(process.env.KEYS_JSON!, 'utf8')) as Record<string, string>;
const modules = JSON.parse(readFileSync(process.env.MODULES_JSON!, 'utf8')) as Record<string, { name: string; active: boolean }[]>;
const given = process.env.ARGS_JSON ? (JSON.parse(readFileSync(process.env.ARGS_JSON, 'utf8')) as Record<string, Record<string, unknown>>) : {};

/** A placeholder value of a schema's type: enough to get past the argument check and into the tool's body. */
function placeholder(schema: Schema): unknown {
  if (schema.enum?.length) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'integer': case 'number': return 1;
    case 'boolean': return false;
    case 'array': return schema.minItems ? Array.from({ length: schema.minItems }, () => placeholder(schema.items ?? { type: 'integer' })) : [];
    case 'object': return {};
    default: return schema.format === 'date' ? '2026-01-01' : 'test';
  }
}

function argumentsFor(name: string, schema: Schema): Record<string, unknown> {
  if (given[name]) return given[name];
  return Object.fromEntries((schema.required ?? []).map((p) => [p, placeholder(schema.properties?.[p] ?? {})]));
}

/** How a tool error reads: the rights refused it, its body refused the arguments, or it broke. */
function kind(text: string): string {
  if (/not allowed|access rights|You are not allowed|AccessError|may not see it/i.test(text)) return 'access';
  if (/^[A-Z][A-Za-z]*(Error|Exception): /.test(text)) return 'crash';
  return 'refused';
}

const summary: Record<string, Record<string, unknown>> = {};
for (const [who, key] of Object.entries(keys)) {
  const client = await connect2x(url, key, '2026-07-28');
  const listed = new Map((await client.listTools()).tools.map((t) => [t.name, t]));
  for (const [module, tools] of Object.entries(modules)) {
    const outcomes: Record<string, number> = {};
    const notes: string[] = [];
    const mine = tools.filter((t) => t.active).map((t) => t.name).filter((n) => listed.has(n));
    for (const name of mine) {
      const tool = listed.get(name)!;
      let outcome: string;
      try {
        const result = await client.callTool({ name, arguments: argumentsFor(name, tool.inputSchema as Schema) });
        const text = (result.content as { type: string; text?: string }[] | undefined)?.[0]?.text ?? '';
        outcome = result.isError ? kind(text) : 'ok';
        if (result.isError) notes.push(`${name}: ${outcome}: ${text.replace(/\s+/g, ' ').slice(0, 140)}`);
      } catch (err) {
        outcome = 'protocol_error';
        notes.push(`${name}: ${(err as Error).message.slice(0, 140)}`);
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    summary[`${module} / ${who}`] = { registered: tools.length, active: tools.filter((t) => t.active).length, listed: mine.length, called: mine.length, ...outcomes };
    console.log(`\n${module} for ${who}: ${tools.length} registered, ${mine.length} listed and called: ${JSON.stringify(outcomes)}`);
    for (const note of notes) console.log(`  ${note}`);
    const unlisted = tools.filter((t) => !listed.has(t.name)).map((t) => t.name);
    if (unlisted.length) console.log(`  not listed: ${unlisted.join(', ')}`);
  }
  await client.close();
}
console.log(`\nSUMMARY ${JSON.stringify(summary)}`);
