// Checks values against a tool's JSON Schemas (2020-12): the arguments against `inputSchema` before anything
// goes to Odoo (saying in words which argument is wrong, so the model can correct itself), and Odoo's
// structured result against `outputSchema` before it reaches the client (the spec's MUST, kept by the relay).

import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

/** Returns the problems found in a value; empty when it is valid. */
export type ArgumentCheck = (args: unknown) => string[];
export type ResultCheck = (structuredContent: unknown) => string[];

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

function compile(schema: object): ValidateFunction | undefined {
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

/**
 * Compiles a checker for a tool's inputSchema, naming the wrong arguments.
 * A schema Ajv cannot compile yields `undefined`: Odoo validates again, so the call is not blocked.
 */
export function compileArgumentCheck(schema: object): ArgumentCheck | undefined {
  const validate = compile(schema);
  if (!validate) return undefined;
  return (args) => {
    if (validate(args)) return [];
    return [...new Set((validate.errors ?? []).map(describe))];
  };
}

/** Compiles a checker for a tool's outputSchema (`undefined` when Ajv cannot compile it). */
export function compileResultCheck(schema: object): ResultCheck | undefined {
  const validate = compile(schema);
  if (!validate) return undefined;
  return (value) => {
    if (validate(value)) return [];
    return [...new Set((validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`))];
  };
}
