// TEST CODE ONLY. How the contract stand-in refuses arguments the way Odoo does: the verdict is the sidecar's
// own Ajv (sidecar/src/mcp/schemaChecks.ts), the message the one Odoo's validator (llm_tool/schema.py) gives
// for the first problem it meets (sidecar/src/mcp/schemaWords.ts). docs/contract/schema-cases.json holds both to
// the same cases (test/unit/schemaCases.test.ts here, TestSchemaCases in the addon), so neither half nor the
// stand-in drifts.

import { compileSchema } from '../../sidecar/src/mcp/schemaChecks.js';
import { inOdoosWords } from '../../sidecar/src/mcp/schemaWords.js';

/** Compiled once per tool schema: the stand-in answers floods of calls in the security tests. */
const compiled = new WeakMap<object, ReturnType<typeof compileSchema>>();

/** The first problem of `args` against a tool's inputSchema, in Odoo's words; undefined when Odoo would run the tool. */
export function argumentProblem(schema: object, args: unknown): string | undefined {
  if (!compiled.has(schema)) compiled.set(schema, compileSchema(schema));
  const validate = compiled.get(schema);
  if (!validate) return 'The tool has an input schema that cannot be compiled.';
  if (validate(args)) return undefined;
  return inOdoosWords(validate.errors ?? [], args, schema, 'arguments')[0] ?? 'The arguments do not fit the tool.';
}
