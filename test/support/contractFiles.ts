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

function read<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, CONTRACT), 'utf8')) as T;
}

/** The fixture `name` (a fresh copy: callers may change it). */
export function fixture(name: string): Exchange {
  return read<Exchange>(`fixtures/${name}.json`);
}

/** The names of every fixture file. */
export function fixtureNames(): string[] {
  return readdirSync(new URL('fixtures/', CONTRACT)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** The error message Odoo answers in fixture `name`. */
export function errorMessage(name: string): string {
  return (fixture(name).response.body.error as { message: string }).message;
}

/** Every built-in tool's definition as Odoo gives it to clients, by name (docs/contract/toolsnaps/, TestToolSnapshots). */
export function toolSnapshots(): Record<string, Record<string, unknown>> {
  const names = readdirSync(new URL('toolsnaps/', CONTRACT)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  return Object.fromEntries(names.map((n) => [n, read<Record<string, unknown>>(`toolsnaps/${n}.json`)]));
}
