import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileResultCheck } from '../../sidecar/src/mcp/schemaChecks.js';
import { argumentProblem } from '../support/odooArguments.js';
import { TOOLS } from '../support/odooStandIn.js';

// One table, both halves: Odoo's validator (the authority, TestSchemaCases in the addon) and, here, the sidecar's
// Ajv (same verdicts) and its wording of a problem in Odoo's words (same messages) on every case of docs/contract/schema-cases.json.
interface Case { title: string; schema: object; arguments: unknown; valid: boolean; message?: string; path?: string }
const table = JSON.parse(readFileSync(new URL('../../docs/contract/schema-cases.json', import.meta.url), 'utf8')) as {
  validated: string[]; outside_subset: string[]; cases: Case[];
};

/** Where a schema uses a keyword outside the contract's subset (as llm_tool/schema.py's unsupported_keywords). */
function outsideSubset(schema: unknown, path = '#'): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [];
  const s = schema as Record<string, unknown>;
  const found = table.outside_subset.filter((k) => k in s).map((k) => `${path}/${k}`);
  for (const [name, sub] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) found.push(...outsideSubset(sub, `${path}/properties/${name}`));
  for (const k of ['items', 'additionalProperties']) found.push(...outsideSubset(s[k], `${path}/${k}`));
  return found;
}

describe('tool schemas: one validation story (docs/contract/schema-cases.json)', () => {
  for (const c of table.cases) {
    it(`${c.valid ? 'accepts' : 'refuses'}: ${c.title}`, () => {
      const check = compileResultCheck(c.schema);
      assert.ok(check, 'Ajv compiles the schema');
      assert.equal(check(c.arguments).length === 0, c.valid, `the sidecar's Ajv: ${check(c.arguments).join('; ')}`);
      assert.equal(argumentProblem(c.schema, c.arguments), c.valid ? undefined : c.message, "Odoo's words");
      // a result's problem inside it reads as the argument's does, naming the result (schemaWords.ts)
      if (!c.valid && c.message!.startsWith("Argument '")) assert.equal(check(c.arguments)[0], c.message!.replace(/^Argument '/, "Result '"));
    });
  }

  it("the stand-in's tools stay within the subset, as Odoo's do", () => {
    const definitions = Object.values(TOOLS);
    const outside = definitions.flatMap((d) => [...outsideSubset(d.inputSchema), ...outsideSubset(d.outputSchema)].map((w) => `${String(d.name)} ${w}`));
    assert.deepEqual(outside, []);
  });
});
