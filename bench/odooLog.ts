// What Odoo itself spent on each route, from its own log: Odoo's werkzeug line ends every request with the
// number of SQL queries, the seconds spent in them, and the other seconds (odoo/netsvc.py, perf_info). Read
// from where the log stood before a phase, so the figures are that phase's requests only.
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { median, round } from './stats.js';

export interface RouteCost { requests: number; queries: number; sql_ms: number; other_ms: number }

const LINE = /"(?:GET|POST) (\S+) HTTP\/1\.\d" \d+ - (\d+) ([\d.]+) ([\d.]+)/;

/** The log's size now: where a phase's lines will start. */
export function logMark(path: string | undefined): number {
  return path && existsSync(path) ? statSync(path).size : 0;
}

/** Median queries, SQL time and other time per request of each route whose path starts with a prefix, since `mark`. */
export function routeCosts(path: string | undefined, mark: number, prefixes: Record<string, string>): Record<string, RouteCost> | null {
  if (!path || !existsSync(path)) return null;
  const size = statSync(path).size;
  if (size <= mark) return {};
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(size - mark);
  try {
    readSync(fd, buf, 0, buf.length, mark);
  } finally {
    closeSync(fd);
  }
  const samples: Record<string, { q: number[]; sql: number[]; other: number[] }> = {};
  for (const line of buf.toString('utf8').split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const name = Object.entries(prefixes).find(([, prefix]) => m[1]!.startsWith(prefix))?.[0];
    if (!name) continue;
    const s = (samples[name] ??= { q: [], sql: [], other: [] });
    s.q.push(Number(m[2]));
    s.sql.push(Number(m[3]) * 1000);
    s.other.push(Number(m[4]) * 1000);
  }
  return Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, {
    requests: s.q.length, queries: median(s.q), sql_ms: round(median(s.sql), 1), other_ms: round(median(s.other), 1),
  }]));
}
