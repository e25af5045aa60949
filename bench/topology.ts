// The last step of `npm run bench`: the main report (bench/run.ts) and the topology cells (bench/run.ts
// --topology, one JSON line per Odoo worker count x sidecar count) as one JSON document on stdout, and the
// topology table on stderr: throughput of tools/call, the floor and tools/list per cell, and tools/call's
// share of the floor on the same Odoo.
import { readFileSync } from 'node:fs';

interface Level { connections: number; rps: number; p50: number; p99: number; errors: number; cpu: Record<string, number> }
interface Cell { odoo_workers: number; sidecars: number; throughput: Record<string, Level[]> }

const [reportFile, cellsFile] = process.argv.slice(2);
const report = JSON.parse(readFileSync(reportFile!, 'utf8')) as Record<string, unknown>;
const cells = readFileSync(cellsFile!, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Cell);

// tools/call: spread over several users' keys when the run had them (bench/run.ts --topology), else one key
const rows = cells.flatMap((cell) => (cell.throughput.mcp_call_users ?? cell.throughput.mcp_call_proxy ?? []).map((call) => {
  const at = (path: string) => cell.throughput[path]?.find((l) => l.connections === call.connections);
  const floor = at('floor_call_kw');
  const list = at('mcp_tools_list');
  return {
    odoo_workers: cell.odoo_workers, sidecars: cell.sidecars, clients: call.connections,
    tools_call_rps: call.rps, floor_rps: floor?.rps ?? null,
    call_vs_floor: floor?.rps ? Math.round((call.rps / floor.rps) * 100) / 100 : null,
    tools_list_rps: list?.rps ?? null,
    errors: { tools_call: call.errors, floor: floor?.errors ?? null, tools_list: list?.errors ?? null },
    cores_used_during_tools_call: call.cpu,
  };
}));

process.stdout.write(JSON.stringify({ ...report, topology: rows }, null, 2) + '\n');
if (rows.length > 0) {
  const col = (v: string | number | null, w: number) => String(v ?? '-').padStart(w);
  const lines = rows.map((r) => `${col(r.odoo_workers, 7)} ${col(r.sidecars, 8)} ${col(r.clients, 7)} ${col(r.tools_call_rps, 10)} ${col(r.floor_rps, 9)} ${col(r.call_vs_floor, 8)} ${col(r.tools_list_rps, 10)} ${col(`${r.errors.tools_call}/${r.errors.floor}/${r.errors.tools_list}`, 12)}   ${Object.entries(r.cores_used_during_tools_call).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  process.stderr.write(['', 'Topology (throughput, requests/s; errors tools/call / floor / tools/list; cores used during tools/call)',
    `${'workers'.padStart(7)} ${'sidecars'.padStart(8)} ${'clients'.padStart(7)} ${'tools/call'.padStart(10)} ${'floor'.padStart(9)} ${'x floor'.padStart(8)} ${'tools/list'.padStart(10)} ${'errors'.padStart(12)}`,
    ...lines, ''].join('\n'));
}
