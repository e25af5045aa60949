// Checks Odoo's structured result against the tool's `outputSchema` (JSON Schema 2020-12) before it reaches
// the client (the spec's MUST, kept by the relay). Arguments are not checked here: Odoo validates them itself
// and audits the refusal, so every call is relayed. Odoo publishes only schemas within the contract's subset,
// where Ajv and Odoo's validator give the same verdicts (docs/contract/schema-cases.json, both suites).

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { inOdoosWords } from './schemaWords.js';

/** Returns the problems found in a value, in the words of Odoo's validator (schemaWords.ts); empty when it is valid. */
export type ResultCheck = (structuredContent: unknown) => string[];

// One Ajv instance: compiled schemas are cached by it, and tool schemas come from Odoo, so unknown
// keywords or formats must not make a tool unusable (strict off).
const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });

/**
 * Compiles a tool schema with the sidecar's Ajv (undefined when it cannot). Within the contract's subset of
 * JSON Schema (docs/contract.md, Schemas) its verdicts are Odoo's: docs/contract/schema-cases.json proves it.
 */
export function compileSchema(schema: object): ValidateFunction | undefined {
  // `$id` would clash when the same tool is compiled again after a list refresh; it is not needed here.
  const { $id: _id, ...anonymous } = schema as Record<string, unknown>;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(anonymous);
  } catch {
    return undefined;
  } finally {
    // Ajv caches by schema object; the compiled function lives on in the catalog, the cache entry need not.
    ajv.removeSchema(anonymous);
  }
  return validate;
}

/** Compiles a checker for a tool's outputSchema (`undefined` when Ajv cannot compile it). */
export function compileResultCheck(schema: object): ResultCheck | undefined {
  const validate = compileSchema(schema);
  if (!validate) return undefined;
  return (value) => (validate(value) ? [] : inOdoosWords(validate.errors ?? [], value, schema, 'result'));
}
