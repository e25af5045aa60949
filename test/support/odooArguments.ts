// TEST CODE ONLY. How the contract stand-in refuses arguments the way Odoo does: the verdict is the sidecar's
// own Ajv (sidecar/src/mcp/schemaChecks.ts), the message the one Odoo's validator (llm_tool/schema.py) gives
// for the first problem it meets. docs/contract/schema-cases.json holds both to the same cases
// (test/unit/schemaCases.test.ts here, TestSchemaCases in the addon), so neither half nor the stand-in drifts.

import type { ErrorObject } from 'ajv';
import { compileSchema } from '../../sidecar/src/mcp/schemaChecks.js';

type Json = unknown;

const KEYWORD_RANK: Record<string, number> = {
  type: 0, enum: 1, const: 2, minimum: 3, minLength: 3, minItems: 3, maximum: 4, maxLength: 4, maxItems: 4, pattern: 5,
};

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonType(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

function segmentsOf(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function at(root: Json, segments: string[]): Json {
  return segments.reduce<Json>((v, s) => (Array.isArray(v) ? v[Number(s)] : isObject(v) ? v[s] : undefined), root);
}

/** Odoo's name for a place in the arguments: `values[2].name`. */
function placeName(root: Json, segments: string[]): string {
  let text = '';
  segments.forEach((s, i) => {
    text += Array.isArray(at(root, segments.slice(0, i))) ? `[${s}]` : i === 0 ? s : `.${s}`;
  });
  return text;
}

/** Where Odoo meets an error: objects' missing keys first, then keys in the arguments' order, a value's own keywords before its items. */
function orderOf(e: ErrorObject, root: Json, schema: Json): number[] {
  const segments = segmentsOf(e.instancePath);
  const order: number[] = [];
  segments.forEach((s, i) => {
    const container = at(root, segments.slice(0, i));
    order.push(2, Array.isArray(container) ? Number(s) : Object.keys(container as object).indexOf(s));
  });
  if (e.keyword === 'required') {
    const required = at(schema, segmentsOf(e.schemaPath.slice(1))) as string[];
    order.push(1, required.indexOf((e.params as { missingProperty: string }).missingProperty));
  } else if (e.keyword === 'additionalProperties') {
    order.push(2, Object.keys(at(root, segments) as object).indexOf((e.params as { additionalProperty: string }).additionalProperty));
  } else {
    order.push(0, KEYWORD_RANK[e.keyword] ?? 9);
  }
  return order;
}

function compareOrders(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Odoo's message for one Ajv error. */
function wording(e: ErrorObject, root: Json, schema: Json): string {
  const segments = segmentsOf(e.instancePath);
  const value = at(root, segments);
  const name = placeName(root, segments);
  const rule = at(schema, segmentsOf(e.schemaPath.slice(1)));
  const p = e.params as Record<string, unknown>;
  const arg = `Argument '${name}'`;
  switch (e.keyword) {
    case 'required':
      return segments.length === 0 ? `Missing required argument '${String(p.missingProperty)}'.` : `${arg} is missing the required key '${String(p.missingProperty)}'.`;
    case 'additionalProperties': {
      if (segments.length > 0) return `${arg} has an unknown key '${String(p.additionalProperty)}'.`;
      const known = Object.keys(at(schema, segmentsOf(e.schemaPath.slice(1)).slice(0, -1).concat('properties')) ?? {}).sort();
      return `Unknown argument '${String(p.additionalProperty)}'. Accepted arguments: ${known.join(', ') || 'none'}.`;
    }
    case 'type':
      if (segments.length === 0) return 'The arguments must be a JSON object.';
      return `${arg} must be ${([] as unknown[]).concat(rule).join(' or ')}, got ${jsonType(value)}.`;
    case 'enum':
      return `${arg} must be one of ${(rule as Json[]).map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}.`;
    case 'const':
      return `${arg} must be ${JSON.stringify(rule)}, got ${JSON.stringify(value)}.`;
    case 'minimum':
      return `${arg} must be at least ${String(rule)}, got ${String(value)}.`;
    case 'maximum':
      return `${arg} must be at most ${String(rule)}, got ${String(value)}.`;
    case 'minLength':
      return `${arg} must have at least ${String(rule)} characters.`;
    case 'maxLength':
      return `${arg} must have at most ${String(rule)} characters.`;
    case 'pattern':
      return `${arg} must match the pattern ${String(rule)}.`;
    case 'minItems':
      return `${arg} must have at least ${String(rule)} items.`;
    case 'maxItems':
      return `${arg} must have at most ${String(rule)} items.`;
    default:
      return `${arg} ${e.message ?? 'is invalid'}.`;
  }
}

/** Compiled once per tool schema: the stand-in answers floods of calls in the security tests. */
const compiled = new WeakMap<object, ReturnType<typeof compileSchema>>();

/** The first problem of `args` against a tool's inputSchema, in Odoo's words; undefined when Odoo would run the tool. */
export function argumentProblem(schema: object, args: Json): string | undefined {
  if (!compiled.has(schema)) compiled.set(schema, compileSchema(schema));
  const validate = compiled.get(schema);
  if (!validate) return 'The tool has an input schema that cannot be compiled.';
  if (validate(args)) return undefined;
  const first = [...(validate.errors ?? [])].sort((a, b) => compareOrders(orderOf(a, args, schema), orderOf(b, args, schema)))[0];
  return first ? wording(first, args, schema) : 'The arguments do not fit the tool.';
}
