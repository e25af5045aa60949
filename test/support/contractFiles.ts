// TEST CODE ONLY. The contract's files (docs/contract/), which the addon's tests write from the real routes
// (UPDATE_CONTRACT_FIXTURES=1) and check: the stand-in serves them and the sidecar's tests read them, so both
// halves are held to one copy of each answer.

import { readdirSync, readFileSync } from 'node:fs';

const CONTRACT = new URL('../../docs/contract/', import.meta.url);

/** A request of the contract and Odoo's answer (docs/contract/fixtures/<name>.json, TestContractFixtures). */
export interface Exchange {
  request: { method: string; path: string; headers?: Record<string, string>; body?: unknown };
  response: { status: number; headers?: Record<string, string>; body: Record<string, unknown> };
  /** `response.body.…` paths whose values differ from run to run (the addon checks their type only). */
  volatile: string[];
}

const texts = new Map<string, string>();

function read<T>(path: string): T {
  let text = texts.get(path);
  if (text === undefined) texts.set(path, (text = readFileSync(new URL(path, CONTRACT), 'utf8')));
  return JSON.parse(text) as T;
}

/** The fixture `name` (a fresh copy: callers may change it). */
export function fixture(name: string): Exchange {
  return read<Exchange>(`fixtures/${name}.json`);
}

/**
 * `text` with each key of `put` replaced by its value (a whole number only where it stands as one). A key the
 * text lacks throws: the fixture changed, and what the stand-in puts in its place must follow it.
 */
export function reworded(text: string, put: Record<string, string>): string {
  let out = text;
  for (const [from, to] of Object.entries(put)) {
    const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(/^\d+$/.test(from) ? `(?<![0-9])${escaped}(?![0-9])` : escaped, 'g');
    if (!pattern.test(out)) throw new Error(`the contract fixture no longer holds ${JSON.stringify(from)}: ${text.slice(0, 200)}`);
    out = out.replace(pattern, () => to);
  }
  return out;
}

/** The names of every fixture file. */
export function fixtureNames(): string[] {
  return readdirSync(new URL('fixtures/', CONTRACT)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** The error message Odoo answers in fixture `name` (its texts changed as `reworded` does). */
export function errorMessage(name: string, put: Record<string, string> = {}): string {
  return reworded((fixture(name).response.body.error as { message: string }).message, put);
}

/** Every built-in tool's definition as Odoo gives it to clients, by name (docs/contract/toolsnaps/, TestToolSnapshots). */
export function toolSnapshots(): Record<string, Record<string, unknown>> {
  const names = readdirSync(new URL('toolsnaps/', CONTRACT)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  return Object.fromEntries(names.map((n) => [n, read<Record<string, unknown>>(`toolsnaps/${n}.json`)]));
}
