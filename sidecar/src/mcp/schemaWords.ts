// What a JSON Schema problem reads like, in the words of Odoo's validator (odoo_addon/llm_tool/schema.py): the
// sidecar's result check (schemaChecks.ts) words the problems of Odoo's results so, and the contract stand-in its
// refusals of arguments. docs/contract/schema-cases.json holds the words to Odoo's (test/unit/schemaCases.test.ts
// here, TestSchemaCases in the addon). Ajv finds the problems; this module only orders and words them.

import type { ErrorObject } from 'ajv';

/** What is checked: a tool's arguments (Odoo's own messages), or a tool's result (the same, naming the result). */
export type Checked = 'arguments' | 'result';

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

/** Odoo's name for a place in a value: `values[2].name`. */
function placeName(root: Json, segments: string[]): string {
  let text = '';
  segments.forEach((s, i) => {
    text += Array.isArray(at(root, segments.slice(0, i))) ? `[${s}]` : i === 0 ? s : `.${s}`;
  });
  return text;
}

/** Where Odoo meets an error: objects' missing keys first, then keys in the value's order, a value's own keywords before its items. */
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
function wording(e: ErrorObject, root: Json, schema: Json, checked: Checked): string {
  const segments = segmentsOf(e.instancePath);
  const value = at(root, segments);
  const name = placeName(root, segments);
  const rule = at(schema, segmentsOf(e.schemaPath.slice(1)));
  const p = e.params as Record<string, unknown>;
  const atRoot = segments.length === 0;
  // the arguments' own problems are worded for a tool call; a place inside them, or in a result, by its name
  const subject = checked === 'result' ? (atRoot ? 'The result' : `Result '${name}'`) : `Argument '${name}'`;
  switch (e.keyword) {
    case 'required':
      if (atRoot && checked === 'arguments') return `Missing required argument '${String(p.missingProperty)}'.`;
      return `${subject} is missing the required key '${String(p.missingProperty)}'.`;
    case 'additionalProperties': {
      if (!atRoot || checked === 'result') return `${subject} has an unknown key '${String(p.additionalProperty)}'.`;
      const known = Object.keys(at(schema, segmentsOf(e.schemaPath.slice(1)).slice(0, -1).concat('properties')) ?? {}).sort();
      return `Unknown argument '${String(p.additionalProperty)}'. Accepted arguments: ${known.join(', ') || 'none'}.`;
    }
    case 'type':
      if (atRoot && checked === 'arguments') return 'The arguments must be a JSON object.';
      return `${subject} must be ${([] as unknown[]).concat(rule).join(' or ')}, got ${jsonType(value)}.`;
    case 'enum':
      return `${subject} must be one of ${(rule as Json[]).map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}.`;
    case 'const':
      return `${subject} must be ${JSON.stringify(rule)}, got ${JSON.stringify(value)}.`;
    case 'minimum':
      return `${subject} must be at least ${String(rule)}, got ${String(value)}.`;
    case 'maximum':
      return `${subject} must be at most ${String(rule)}, got ${String(value)}.`;
    case 'minLength':
      return `${subject} must have at least ${String(rule)} characters.`;
    case 'maxLength':
      return `${subject} must have at most ${String(rule)} characters.`;
    case 'pattern':
      return `${subject} must match the pattern ${String(rule)}.`;
    case 'minItems':
      return `${subject} must have at least ${String(rule)} items.`;
    case 'maxItems':
      return `${subject} must have at most ${String(rule)} items.`;
    default:
      return `${subject} ${e.message ?? 'is invalid'}.`;
  }
}

/** The problems Ajv found in `value` against `schema`, in Odoo's words, first the one Odoo's validator meets first. */
export function inOdoosWords(errors: ErrorObject[], value: Json, schema: Json, checked: Checked): string[] {
  const sorted = [...errors].sort((a, b) => compareOrders(orderOf(a, value, schema), orderOf(b, value, schema)));
  return [...new Set(sorted.map((e) => wording(e, value, schema, checked)))];
}
