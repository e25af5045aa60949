// Where the time of a call goes, measured by the bench itself and nowhere in the product:
// - Odoo: bench/profile_odoo.py serves the floor's call_kw and Odoo's /llm_mcp/v1/call in an Odoo of its own (the
//   stack's database, Odoo's own WSGI application) with the call's named phases timed, and cProfile's top lines;
// - the sidecar: a sidecar of its own (bench/sidecar_profiled.ts, the same code under V8's CPU profiler) serving
//   tools/call and tools/list straight from the bench, its samples summed by part (SDK, Koa, our code, JSON,
//   Node's HTTP, the HTTP client to Odoo).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchConfig } from './config.js';
import { hit, type Target } from './targets.js';
import { round } from './stats.js';

export interface OdooPhase { phase: string; ms: number; statements: number; sql_ms: number }
export interface OdooProfile {
  calls: number; ms_per_call: number; statements_per_call: number; sql_ms_per_call: number;
  phases: OdooPhase[];
  cprofile_self_time: { function: string; self_ms: number; cumulative_ms: number; calls: number }[];
}
export interface SidecarProfile {
  requests: number;
  /** CPU (non-idle samples) of the sidecar per request, in ms. */
  cpu_ms_per_request: number;
  by_part: { part: string; ms: number }[];
  top_functions: { function: string; ms: number }[];
}
export interface Profiles {
  odoo?: { floor_call_kw: OdooProfile; odoo_mcp_route: OdooProfile };
  sidecar?: { tools_call: SidecarProfile; tools_list: SidecarProfile };
  /** Why a profile is missing (BENCH_ODOO_PROFILE unset, a launcher that failed). */
  skipped: string[];
}

function run(command: string, args: string[], input: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.slice(-600)}`)));
    child.stdin.end(input);
  });
}

/** The floor's call_kw and Odoo's /llm_mcp/v1/call, each `calls` times, through bench/profile_odoo.py. */
export async function profileOdoo(command: string, targets: Target[], calls: number): Promise<OdooProfile[]> {
  for (const t of targets) await t.refresh?.();
  const job = {
    calls, warmup: 30,
    requests: targets.map((t) => ({ name: t.name, path: new URL(t.url).pathname,
      headers: { ...t.headers, 'content-type': 'application/json' }, body: t.body })),
  };
  const out = JSON.parse(await run('bash', ['-c', command], JSON.stringify(job))) as Record<string, OdooProfile>;
  return targets.map((t) => out[t.name]!);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

/** What part of the program a sampled function belongs to, by its script's URL. */
export function partOf(url: string, functionName: string): string | undefined {
  if (!url) {
    if (functionName === '(idle)' || functionName === '(root)') return undefined;
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(program)') return 'V8 and Node native (program)';
    if (functionName === 'parse' || functionName === 'stringify') return 'JSON (native parse/stringify)';
    return 'V8 built-ins';
  }
  if (url.includes('/node_modules/@modelcontextprotocol/')) return 'MCP SDK';
  if (url.includes('/node_modules/zod/')) return "zod (the SDK's schemas)";
  if (/\/node_modules\/(koa|@koa\/|koa-)/.test(url)) return 'Koa';
  // Node's fetch and its WHATWG Request/Response/Headers (what the SDK's web-standard transport builds per request)
  if (url.includes('undici')) return "undici (the SDK's web Request/Response, fetch to Odoo)";
  const ours = /\/sidecar\/src\/(.+)$/.exec(url);
  if (ours) return `our code: ${ours[1]}`;
  if (/^node:(_http|http|internal\/http|net|internal\/streams|stream|internal\/stream_base|internal\/net)/.test(url)) return "Node's HTTP server and streams";
  if (url.startsWith('node:')) return 'Node internals (other)';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `node_modules: ${pkg[1]}`;
  return url.includes('/tsx/') ? 'tsx loader' : `other: ${url.slice(-60)}`;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** A V8 CPU profile summed by part and by function (self time), per request. */
export function summariseCpuProfile(profile: CpuProfile, requests: number): SidecarProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // a native function (no script: a socket write, a regexp, the parser) counts for the script that called it
  const caller = (id: number): string | undefined => {
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
      const { url, functionName } = byId.get(p)!.callFrame;
      if (url) return partOf(url, functionName);
    }
    return undefined;
  };
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const { url, functionName, lineNumber } = node.callFrame;
    let part = partOf(url, functionName);
    if (!part) return;
    if (part === 'V8 built-ins' || part === 'JSON (native parse/stringify)') {
      const by = caller(id);
      if (by) part = `${by} (natives it calls)`;
    }
    total += us;
    parts.set(part, (parts.get(part) ?? 0) + us);
    const where = url ? `${url.replace(/^.*\/(node_modules|sidecar)\//, '$1/').replace(/^file:\/\//, '')}:${lineNumber + 1}` : '(native)';
    const fn = `${functionName || '(anonymous)'} ${where}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  });
  const perRequest = (us: number) => round(us / 1000 / requests, 3);
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    requests,
    cpu_ms_per_request: perRequest(total),
    by_part: sorted(parts).map(([part, us]) => ({ part, ms: perRequest(us) })),
    top_functions: sorted(functions).slice(0, 12).map(([fn, us]) => ({ function: fn, ms: perRequest(us) })),
  };
}

/** A sidecar of its own (the same code, same Odoo) under V8's profiler, serving `target` `requests` times. */
export async function profileSidecar(cfg: BenchConfig, target: Target, requests: number): Promise<SidecarProfile> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-cpu-'));
  const file = join(dir, 'sidecar.cpuprofile');
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/sidecar_profiled.ts'], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, ODOO_URL: cfg.odooUrl, ODOO_DB: cfg.db, HOST: '127.0.0.1', PORT: String(port),
      MCP_ALLOWED_HOSTS: '127.0.0.1,localhost', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', BENCH_CPU_PROFILE_FILE: file },
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const said = (word: string) => new Promise<void>((resolve) => {
    const on = (m: unknown) => { if (m === word) { child.off('message', on); resolve(); } };
    child.on('message', on);
    child.send(word);
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    const t: Target = { ...target, url: `${base}/mcp` };
    for (let i = 0; ; i++) {
      if (stderr.includes('"listening"')) break;
      if (i > 300 || child.exitCode !== null) throw new Error(`the profiled sidecar did not start: ${stderr.slice(-400)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < 30; i++) await hit(t);
    await said('start');
    for (let i = 0; i < requests; i++) await hit(t);
    await said('stop');
    return summariseCpuProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, requests);
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Both profiles; a part that cannot run is named in `skipped`, never fails the bench's other figures. */
export async function profiles(cfg: BenchConfig, targets: Record<string, Target>, calls: number): Promise<Profiles> {
  const out: Profiles = { skipped: [] };
  const command = process.env.BENCH_ODOO_PROFILE;
  if (!command) out.skipped.push('odoo: BENCH_ODOO_PROFILE is not set (scripts/bench.sh sets it)');
  else {
    try {
      const [floor, route] = await profileOdoo(command, [targets.floor_call_kw!, targets.odoo_mcp_route!], calls);
      out.odoo = { floor_call_kw: floor!, odoo_mcp_route: route! };
    } catch (e) { out.skipped.push(`odoo: ${(e as Error).message}`); }
  }
  try {
    out.sidecar = {
      tools_call: await profileSidecar(cfg, targets.mcp_call_direct!, calls),
      tools_list: await profileSidecar(cfg, targets.mcp_tools_list_direct!, calls),
    };
  } catch (e) { out.skipped.push(`sidecar: ${(e as Error).message}`); }
  return out;
}
