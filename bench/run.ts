// `npm run bench`: our MCP path against Odoo's own floor, side by side in one run. Prints one JSON document
// on stdout and a short table on stderr. See bench/README.md for what each figure means.
import { loadConfig } from './config.js';
import { closeConnections } from './http.js';
import { measureLatency, type LatencyFigures } from './latency.js';
import { rssMb, sampleRss, sidecarProcess } from './memory.js';
import { responseSizes } from './size.js';
import { sweep, type SweepFigures } from './sweep.js';
import { buildTargets, hit, rpcUid, webSession } from './targets.js';
import { round } from './stats.js';

interface Ratios { vs_floor: number; vs_standalone: number; vs_standalone_cached: number }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const cfg = loadConfig();
  cfg.sidecarPid = sidecarProcess(cfg.sidecarPid);
  const cookie = await webSession(cfg);
  const uid = await rpcUid(cfg);
  const targets = buildTargets(cfg, cookie, uid);
  // Every path must work before anything is timed: a fast error is not a fast answer.
  for (const t of Object.values(targets)) {
    try {
      await hit(t);
    } catch (e) {
      throw new Error(`${t.name} (${t.url}) does not work: ${(e as Error).message}`, { cause: e });
    }
  }
  const rssIdle = rssMb(cfg.sidecarPid);

  const latency = await measureLatency(Object.values(targets), cfg.rounds, cfg.callsPerRound);
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
  const sweepTargets = [targets.mcp_call_proxy!, targets.mcp_tools_list!, targets.floor_call_kw!];
  const sweeps: Record<string, SweepFigures[]> = {};
  const rssAfter: (number | null)[] = [];
  let rssPeak: number | null = null;
  for (let run = 0; run < 2; run++) {
    const sampler = sampleRss(cfg.sidecarPid);
    for (const t of sweepTargets) {
      for (const c of cfg.sweep) {
        const figures = await sweep(t, c, cfg.sweepSeconds);
        if (run === 0) (sweeps[t.name] ??= []).push(figures);
      }
    }
    const peak = sampler.stop();
    if (peak !== null && (rssPeak === null || peak > rssPeak)) rssPeak = peak;
    await sleep(3000);
    rssAfter.push(rssMb(cfg.sidecarPid));
  }

  const sizes = await responseSizes(targets.mcp_call_proxy!, cfg.odooUrl, cookie);
  const listAt = (n: number) => sweeps.mcp_tools_list?.find((s) => s.connections === n);
  const maxConn = Math.max(...cfg.sweep);
  const report = {
    when: new Date().toISOString(),
    setup: { rounds: cfg.rounds, calls_per_round: cfg.callsPerRound, sweep: cfg.sweep, sweep_seconds: cfg.sweepSeconds,
      query: 'res.partner search_read, is_company = true, 4 fields, limit 20' },
    latency_ms: latency,
    ratios,
    sweeps,
    memory_mb: { idle: rssIdle, peak: rssPeak, after_sweep_runs: rssAfter },
    response_size: sizes,
    targets: {
      'tools/call p50 <= 1.3 x floor': ratios.mcp_call_proxy!.vs_floor <= 1.3,
      'tools/call p50 <= 0.5 x standalone (login per call)': ratios.mcp_call_proxy!.vs_standalone <= 0.5,
      'tools/call p50 <= 0.5 x standalone (uid + key reused)': ratios.mcp_call_proxy!.vs_standalone_cached <= 0.5,
      'tools/list p50 <= 0.2 x floor': ratios.mcp_tools_list!.vs_floor <= 0.2,
      'tools/list >= 2000/s': Math.max(...(sweeps.mcp_tools_list ?? []).map((s) => s.rps)) >= 2000,
      [`0 errors at ${maxConn} clients (ours)`]: [targets.mcp_call_proxy!, targets.mcp_tools_list!].every((t) => (sweeps[t.name]?.find((s) => s.connections === maxConn)?.errors ?? 1) === 0),
      'sidecar RSS <= 150 MB at peak': rssPeak !== null && rssPeak <= 150,
      'search result <= 0.25 x all-fields bytes': sizes.ratio <= 0.25,
    },
    tools_list_rps_at: Object.fromEntries(cfg.sweep.map((n) => [n, listAt(n)?.rps ?? null])),
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  printTable(latency, ratios, report.targets);
}

function printTable(latency: Record<string, LatencyFigures>, ratios: Record<string, Ratios>, targets: Record<string, boolean>) {
  const rows = Object.entries(latency).map(([name, f]) =>
    `${name.padEnd(26)} ${String(f.p50).padStart(8)} ${String(f.p95).padStart(8)} ${String(ratios[name]!.vs_floor).padStart(9)} ${String(ratios[name]!.vs_standalone).padStart(11)} ${String(ratios[name]!.vs_standalone_cached).padStart(11)} ${String(f.errors).padStart(6)}`);
  process.stderr.write(['', `${'path'.padEnd(26)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'x floor'.padStart(9)} ${'x rpc+login'.padStart(11)} ${'x rpc+uid'.padStart(11)} ${'errors'.padStart(6)}`, ...rows, '',
    ...Object.entries(targets).map(([k, ok]) => `${ok ? 'met ' : 'MISS'}  ${k}`), ''].join('\n'));
}

main().then(() => closeConnections(), (e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  closeConnections();
  process.exitCode = 1;
});
