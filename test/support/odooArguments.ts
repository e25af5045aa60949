// TEST CODE ONLY. An argument check the way Odoo words it: the verdict is the sidecar's own Ajv
// (sidecar/src/mcp/schemaChecks.ts), the message the one Odoo's validator (llm_tool/schema.py) gives for the
// first problem it meets (sidecar/src/mcp/schemaWords.ts, which words result problems so). test/unit/schemaCases.test.ts
// holds it to Odoo's messages on docs/contract/schema-cases.json (TestSchemaCases in the addon), so the wording
// the sidecar borrows from Odoo does not drift.

import { compileSchema } from '../../sidecar/src/mcp/schemaChecks.js';
import { inOdoosWords } from '../../sidecar/src/mcp/schemaWords.js';

/** Compiled once per schema. */
const compiled = new WeakMap<object, ReturnType<typeof compileSchema>>();

/** The first problem of `args` against a tool's inputSchema, in Odoo's words; undefined when Odoo would run the tool. */
export function argumentProblem(schema: object, args: unknown): string | undefined {
  if (!compiled.has(schema)) compiled.set(schema, compileSchema(schema));
  const validate = compiled.get(schema);
  if (!validate) return 'The tool has an input schema that cannot be compiled.';
  if (validate(args)) return undefined;
  return inOdoosWords(validate.errors ?? [], args, schema, 'arguments')[0] ?? 'The arguments do not fit the tool.';
}
