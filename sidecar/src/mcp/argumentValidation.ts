// Checks tool arguments against the tool's inputSchema (JSON Schema 2020-12) before anything goes to Odoo,
// and says in words which argument is wrong, so the model can correct itself.

import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

export type ArgumentCheck = (args: unknown) => string[];

// One Ajv instance: compiled schemas are cached by it, and tool schemas come from Odoo, so unknown
// keywords or formats must not make a tool unusable (strict off).
const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });

function argumentPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return parts.join('.');
}

function describe(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `missing required argument "${argumentPath(e.instancePath, String(params.missingProperty))}"`;
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const name = params.additionalProperty ?? params.unevaluatedProperty;
      return `unknown argument "${argumentPath(e.instancePath, String(name))}"`;
    }
    case 'type':
      return e.instancePath
        ? `argument "${argumentPath(e.instancePath)}" must be of type ${String(params.type)}`
        : `arguments must be of type ${String(params.type)}`;
    case 'enum':
      return `argument "${argumentPath(e.instancePath)}" must be one of ${JSON.stringify(params.allowedValues)}`;
    default:
      return e.instancePath ? `argument "${argumentPath(e.instancePath)}" ${e.message ?? 'is invalid'}` : `arguments ${e.message ?? 'are invalid'}`;
  }
}

/**
 * Compiles a checker for `schema`; it returns the problems found (empty when the arguments are fine).
 * A schema Ajv cannot compile yields `undefined`: Odoo validates again, so the call is not blocked.
 */
export function compileArgumentCheck(schema: object): ArgumentCheck | undefined {
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
  return (args) => {
    if (validate(args)) return [];
    const problems = (validate.errors ?? []).map(describe);
    return [...new Set(problems)];
  };
}
