// `npm run bench`: our MCP path against Odoo's own floor, side by side in one run. Prints one JSON document
// on stdout and a short table on stderr. See bench/README.md for what each figure means.
//   node --import tsx bench/run.ts              latency, sweeps, memory, size, the targets judged
//   node --import tsx bench/run.ts --topology   throughput only (one JSON line): one cell of the topology table
import { loadConfig, type BenchConfig } from './config.js';
import { judge, type Goal, type Ratios } from './goals.js';
import { closeConnections } from './http.js';
import { measureLatency, type LatencyFigures } from './latency.js';
import { profiles } from './profile.js';
import { rssMb, sampleRss, sidecarProcess } from './memory.js';
import { logMark, routeCosts } from './odooLog.js';
import { coresUsed, cpuSeconds, pidFromFile } from './processes.js';
import { responseSizes } from './size.js';
import { sweep, type SweepFigures } from './sweep.js';
import { buildTargets, hit, rpcUid, webSession, type Target } from './targets.js';
import { round } from './stats.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stack's components as process trees (for CPU figures); those without a pid file are left out. */
function components(cfg: BenchConfig): Record<string, number[]> {
  const one = (file: string | undefined) => { const pid = pidFromFile(file); return pid ? [pid] : []; };
  const out: Record<string, number[]> = {
    sidecars: cfg.pidFiles.sidecars.map((f) => pidFromFile(f)).filter((p): p is number => p !== undefined),
    nginx: one(cfg.pidFiles.nginx), odoo: one(cfg.pidFiles.odoo), postgres: one(cfg.pidFiles.postgres),
  };
  return Object.fromEntries(Object.entries(out).filter(([, pids]) => pids.length > 0));
}

/** A sweep of one path at one concurrency, with the cores each component used meanwhile. */
async function sweepWithCpu(cfg: BenchConfig, t: Target, connections: number): Promise<{ figures: SweepFigures; cpu: Record<string, number> }> {
  const parts = components(cfg);
  const before = cpuSeconds(parts);
  const started = performance.now();
  const figures = await sweep(t, connections, cfg.sweepSeconds);
  return { figures, cpu: coresUsed(before, cpuSeconds(parts), (performance.now() - started) / 1000) };
}

async function prepared(cfg: BenchConfig): Promise<{ targets: Record<string, Target>; cookie: string }> {
  const cookie = await webSession(cfg);
  const uid = await rpcUid(cfg);
  const targets = buildTargets(cfg, cookie, uid);
  // Every path must work before anything is timed: a fast error is not a fast answer.
  for (const t of Object.values(targets)) {
    try {
      await t.refresh?.();
      await hit(t);
      // every key of a spread target, so that no connection of the sweep sends a refused key
      for (const key of t.keys?.slice(1) ?? []) await hit({ ...t, headers: { ...t.headers, authorization: `Bearer ${key}` } });
    } catch (e) {
      throw new Error(`${t.name} (${t.url}) does not work: ${(e as Error).message}`, { cause: e });
    }
  }
  return { targets, cookie };
}

/** One cell of the topology table: throughput of tools/call, tools/list and the floor at each concurrency. */
async function topologyCell(cfg: BenchConfig) {
  const { targets } = await prepared(cfg);
  const cell: Record<string, { connections: number; rps: number; p50: number; p99: number; errors: number; cpu: Record<string, number> }[]> = {};
  // tools/call spread over several users' keys when there are (what a deployment serves), else one key
  for (const t of [targets.mcp_call_users ?? targets.mcp_call_proxy!, targets.floor_call_kw!, targets.mcp_tools_list!]) {
    for (const c of cfg.sweep) {
      const { figures, cpu } = await sweepWithCpu(cfg, t, c);
      (cell[t.name] ??= []).push({ connections: c, rps: figures.rps, p50: figures.p50, p99: figures.p99, errors: figures.errors, cpu });
    }
  }
  process.stdout.write(JSON.stringify({ when: new Date().toISOString(), sweep_seconds: cfg.sweepSeconds, throughput: cell }) + '\n');
}

async function fullRun(cfg: BenchConfig) {
  cfg.sidecarPid = sidecarProcess(cfg.sidecarPid);
  const { targets, cookie } = await prepared(cfg);
  const rssIdle = rssMb(cfg.sidecarPid);

  const mark = logMark(cfg.odooLog);
  // sequential latency: one key is the figure (a spread target is the same call with other keys)
  const latency = await measureLatency(Object.values(targets).filter((t) => !t.keys), cfg.rounds, cfg.callsPerRound);
  const odooCosts = routeCosts(cfg.odooLog, mark, {
    floor: '/web/dataset/call_kw', mcp_call: '/llm_mcp/v1/call', identity: '/llm_mcp/v1/identity', jsonrpc: '/jsonrpc',
  });
  const floor = latency.floor_call_kw!.p50;
  // Two standalone baselines: a server that logs in on every call (what the issue names), and one that keeps
  // uid + key, whose check Odoo then serves from its in-process cache.
  const standaloneLogin = latency.standalone_jsonrpc_login!.p50;
  const standaloneCached = latency.standalone_jsonrpc!.p50;
  const ratios: Record<string, Ratios> = {};
  for (const [name, f] of Object.entries(latency)) {
    ratios[name] = { vs_floor: round(f.p50 / floor, 3), vs_standalone: round(f.p50 / standaloneLogin, 3),
      vs_standalone_cached: round(f.p50 / standaloneCached, 3) };
  }

  // The sweep runs twice; RSS after each run shows whether memory grows across repeated load.
  const sweepTargets = [targets.mcp_call_proxy!, ...(targets.mcp_call_users ? [targets.mcp_call_users] : []),
    targets.mcp_tools_list!, targets.floor_call_kw!];
  const sweeps: Record<string, SweepFigures[]> = {};
  const cpu: Record<string, Record<string, number>> = {};
  const maxConnections = Math.max(...cfg.sweep);
  const rssAfter: (number | null)[] = [];
  let rssPeak: number | null = null;
  for (let run = 0; run < 2; run++) {
    const sampler = sampleRss(cfg.sidecarPid);
    for (const t of sweepTargets) {
      for (const c of cfg.sweep) {
        const { figures, cpu: used } = await sweepWithCpu(cfg, t, c);
        if (run === 0) (sweeps[t.name] ??= []).push(figures);
        if (run === 0 && c === maxConnections) cpu[t.name] = used;
      }
    }
    const peak = sampler.stop();
    if (peak !== null && (rssPeak === null || peak > rssPeak)) rssPeak = peak;
    await sleep(3000);
    rssAfter.push(rssMb(cfg.sidecarPid));
  }

  const sizes = await responseSizes(targets.mcp_call_proxy!, cfg.odooUrl, cookie);
  // last: its Odoo and sidecar of their own would otherwise take cores from the timed paths
  const profile = await profiles(cfg, targets, cfg.profileCalls);
  const goals = judge({ latency, ratios, sweeps, cpu, odooCosts, rssPeak, sizeRatio: sizes.ratio, maxConnections, profile });
  const report = {
    when: new Date().toISOString(),
    setup: { rounds: cfg.rounds, tools_call_users: cfg.userKeys.length, calls_per_round: cfg.callsPerRound, sweep: cfg.sweep, sweep_seconds: cfg.sweepSeconds,
      query: 'res.partner search_read, is_company = true, 4 fields, limit 20' },
    latency_ms: latency,
    ratios,
    odoo_route_costs: odooCosts,
    sweeps,
    cores_used_at_max_clients: cpu,
    memory_mb: { idle: rssIdle, peak: rssPeak, after_sweep_runs: rssAfter },
    response_size: sizes,
    targets: Object.fromEntries(goals.map((g) => [g.target, g.met])),
    goals,
    profile,
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  printTable(latency, ratios, goals);
}

function printTable(latency: Record<string, LatencyFigures>, ratios: Record<string, Ratios>, goals: Goal[]) {
  const rows = Object.entries(latency).map(([name, f]) =>
    `${name.padEnd(26)} ${String(f.p50).padStart(8)} ${String(f.p95).padStart(8)} ${String(ratios[name]!.vs_floor).padStart(9)} ${String(ratios[name]!.vs_standalone).padStart(11)} ${String(ratios[name]!.vs_standalone_cached).padStart(11)} ${String(f.errors).padStart(6)}`);
  process.stderr.write(['', `${'path'.padEnd(26)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'x floor'.padStart(9)} ${'x rpc+login'.padStart(11)} ${'x rpc+uid'.padStart(11)} ${'errors'.padStart(6)}`, ...rows, '',
    ...goals.flatMap((g) => [`${g.met ? 'met ' : 'MISS'}  ${g.target}: ${g.figure}`, ...(g.why ? [`        why: ${g.why}`] : []),
      ...(g.profile ?? []).map((line) => `        profile: ${line}`), ...(g.would_close ? [`        would close it: ${g.would_close}`] : [])]), ''].join('\n'));
}

/** The profiles alone (one JSON document): for A/B runs of a change without the whole bench. */
async function profileOnly(cfg: BenchConfig) {
  const { targets } = await prepared(cfg);
  process.stdout.write(JSON.stringify(await profiles(cfg, targets, cfg.profileCalls), null, 2) + '\n');
}

const cfg = loadConfig();
(process.argv.includes('--topology') ? topologyCell(cfg) : process.argv.includes('--profile') ? profileOnly(cfg) : fullRun(cfg)).then(() => closeConnections(), (e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  closeConnections();
  process.exitCode = 1;
});
