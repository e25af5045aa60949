// `BENCH_SOAK_SECONDS=600 npm run bench`: steady moderate load on the stack as it runs (scripts/bench.sh brings up
// the multi-replica topology for it) for the given time, sampled every BENCH_SOAK_SAMPLE_SECONDS: requests served,
// errors (must stay 0), each sidecar's RSS (growth must stay under 10 %), the open connections to Odoo's HTTP
// port, and PostgreSQL's backends (all, and those on the stack's database: Odoo's pools). One JSON document on
// stdout, one line per sample and a verdict on stderr. The load: BENCH_SOAK_CLIENTS connections (16) through the
// proxy, together at most BENCH_SOAK_RATE requests a second (60), alternating tools/call and tools/list: rate x
// seconds requests in all, each answered before the end (so every call sent is one Odoo answered, and its audit
// row can be counted against it). RSS growth is measured from the end of the warm-up (BENCH_SOAK_WARMUP_SECONDS,
// 60: V8 sizes its heap to the load first) to the end; the growth from the start is printed beside it.
import { execFileSync } from 'node:child_process';
import autocannon from 'autocannon';
import { loadConfig } from './config.js';
import { rssMb } from './memory.js';
import { connectionsTo, matching, pidFromFile } from './processes.js';
import { buildTargets, rpcUid, webSession } from './targets.js';
import { closeConnections } from './http.js';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`bench: ${name} must be a positive number`);
  return v;
};

/** PostgreSQL's backends (client connections), all and on `db`, through psql on the stack's socket (BENCH_PSQL). */
function pgConnections(db: string): { all: number; db: number } | null {
  const psql = process.env.BENCH_PSQL; // e.g. "/usr/lib/postgresql/15/bin/psql -h <socket dir> -p 5432 -U postgres"
  if (!psql) return null;
  const [bin, ...args] = psql.split(' ');
  const out = execFileSync(bin!, [...args, '-d', 'postgres', '-XqAt', '-c',
    `SELECT count(*), count(*) FILTER (WHERE datname = '${db.replace(/'/g, "''")}') FROM pg_stat_activity WHERE backend_type = 'client backend'`],
  { encoding: 'utf8' }).trim();
  const [all, onDb] = out.split('|').map(Number);
  return { all: all!, db: onDb! };
}

/** The audit rows of the soak's key (its name is unique to the run), through the same psql. */
function auditRows(db: string, keyName: string | undefined): number | null {
  const psql = process.env.BENCH_PSQL;
  if (!psql || !keyName) return null;
  const [bin, ...args] = psql.split(' ');
  return Number(execFileSync(bin!, [...args, '-d', db, '-XqAt', '-c',
    `SELECT count(*) FROM llm_mcp_call WHERE key_name = '${keyName.replace(/'/g, "''")}'`], { encoding: 'utf8' }).trim());
}

async function main() {
  const cfg = loadConfig();
  const seconds = num('BENCH_SOAK_SECONDS', 600);
  const everySeconds = num('BENCH_SOAK_SAMPLE_SECONDS', 30);
  const clients = num('BENCH_SOAK_CLIENTS', 16);
  const rate = num('BENCH_SOAK_RATE', 60);
  const warmupSeconds = num('BENCH_SOAK_WARMUP_SECONDS', 60);
  const keyName = process.env.BENCH_MCP_KEY_NAME;
  const cookie = await webSession(cfg);
  const targets = buildTargets(cfg, cookie, await rpcUid(cfg));
  const call = targets.mcp_call_proxy!;
  const list = targets.mcp_tools_list!;
  const sidecarRoots = cfg.pidFiles.sidecars.map((f) => pidFromFile(f)).filter((p): p is number => p !== undefined);
  const sidecars = matching(sidecarRoots, /^(\S*\/)?node .*sidecar\/(src\/main\.ts|dist\/main\.mjs)/);
  if (sidecars.length === 0) throw new Error('soak: no sidecar process found under BENCH_SIDECAR_PID_FILES');
  const auditBefore = auditRows(cfg.db, keyName);

  let calls = 0, lists = 0, errors = 0, callsAnswered = 0;
  // Each answer is told apart by what it holds, not by which request autocannon says it answers: over a long run
  // (reconnections) autocannon's request sequence can shift against its answers, and judging a tools/call answer
  // with the tools/list check counted answered calls as errors (found in the first 10-minute soak: every
  // "error" was a good tools/call answer, their number plus the lists' equal to the audit rows).
  const judgeAnswer = (status: number, body: string) => {
    const isList = body.includes('"tools":[');
    const t = isList ? list : call;
    if (!isList) callsAnswered++; // answered, as a success or not: Odoo audited it either way
    try {
      t.check({ status, headers: {}, body });
      if (isList) lists++;
      else calls++;
    } catch (e) {
      // the first few failures say what failed (the check's message and the start of the body)
      if (errors++ < 3) process.stderr.write(`  failed ${t.name}: ${(e as Error).message.slice(0, 200)} | HTTP ${status}, ${body.length} chars: ${JSON.stringify(body.slice(0, 160))}\n`);
    }
  };
  const sample = (elapsed: number) => ({
    t_s: Math.round(elapsed),
    requests: calls + lists,
    errors,
    sidecar_rss_mb: sidecars.map((p) => rssMb(p)),
    odoo_http_connections: connectionsTo(cfg.odooPort, '01'),
    odoo_http_time_wait: connectionsTo(cfg.odooPort, '06'),
    postgres_connections: pgConnections(cfg.db),
  });
  const samples = [sample(0)];
  process.stderr.write(`soak: ${seconds} s, ${clients} clients, at most ${rate} requests/s, sidecars ${sidecars.join(', ')}\n`);
  const started = performance.now();
  const timer = setInterval(() => {
    const s = sample((performance.now() - started) / 1000);
    samples.push(s);
    process.stderr.write(`  ${JSON.stringify(s)}\n`);
  }, everySeconds * 1000);
  const result = await autocannon({
    url: call.url,
    method: 'POST',
    connections: clients,
    overallRate: rate,
    amount: Math.round(rate * seconds), // not `duration`: no request is left in flight at the end
    timeout: 30,
    headers: { 'content-type': 'application/json', ...call.headers },
    requests: [
      { method: 'POST', headers: { 'content-type': 'application/json', ...call.headers }, body: call.body,
        onResponse: judgeAnswer },
      { method: 'POST', headers: { 'content-type': 'application/json', ...list.headers }, body: list.body,
        onResponse: judgeAnswer },
    ],
  });
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 3000)); // the last audit rows' commits, idle connections settle
  const last = sample((performance.now() - started) / 1000);
  samples.push(last);
  const allErrors = errors + result.errors + result.timeouts + result.non2xx;
  const auditAfter = auditRows(cfg.db, keyName);
  const first = samples[0]!;
  // RSS growth per sidecar: from the first sample after the warm-up to the last, and from the start
  const warm = samples.find((s) => s.t_s >= warmupSeconds) ?? first;
  const growthFrom = (from: typeof first) => last.sidecar_rss_mb.map((mb, i) => {
    const base = from.sidecar_rss_mb[i];
    return mb !== null && base ? Math.round(((mb - base) / base) * 1000) / 10 : null;
  });
  const growth = growthFrom(warm);
  const range = (pick: (s: typeof first) => number | undefined) => {
    const v = samples.slice(1, -1).map(pick).filter((x): x is number => x !== undefined);
    return v.length ? { min: Math.min(...v), max: Math.max(...v) } : null;
  };
  const report = {
    when: new Date().toISOString(),
    setup: { seconds, clients, max_rate_per_second: rate, sample_every_seconds: everySeconds, warmup_seconds: warmupSeconds, sidecars: sidecars.length },
    took_seconds: last.t_s,
    requests: result.requests.total,
    tools_call_ok: calls,
    tools_list_ok: lists,
    errors: allErrors,
    audit_rows_of_the_soak_key: auditBefore === null || auditAfter === null ? null : auditAfter - auditBefore,
    sidecar_rss_growth_percent_after_warmup: growth,
    sidecar_rss_growth_percent_from_start: growthFrom(first),
    sidecar_rss_peak_mb: last.sidecar_rss_mb.map((_, i) => Math.max(...samples.map((s) => s.sidecar_rss_mb[i] ?? 0))),
    odoo_http_connections_under_load: range((s) => s.odoo_http_connections),
    odoo_http_time_wait_under_load: range((s) => s.odoo_http_time_wait),
    postgres_connections_under_load: range((s) => s.postgres_connections?.all),
    postgres_connections_on_db_under_load: range((s) => s.postgres_connections?.db),
    samples,
    verdict: {
      'no errors': allErrors === 0,
      'sidecar RSS growth < 10 %': growth.every((g) => g !== null && g < 10),
      'one audit row per tools/call answered': auditBefore === null || auditAfter === null ? null : auditAfter - auditBefore === callsAnswered,
    },
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  process.stderr.write(`soak: ${report.requests} requests (${calls} tools/call, ${lists} tools/list), ${allErrors} errors, ` +
    `audit rows ${report.audit_rows_of_the_soak_key ?? 'n/a'}, RSS growth after warm-up ${growth.join(' / ')} % (from the start ${growthFrom(first).join(' / ')} %), ` +
    `Odoo connections ${JSON.stringify(report.odoo_http_connections_under_load)}, PostgreSQL ${JSON.stringify(report.postgres_connections_under_load)}\n` +
    Object.entries(report.verdict).map(([k, v]) => `${v === true ? 'met ' : v === null ? 'n/a ' : 'MISS'}  ${k}`).join('\n') + '\n');
}

main().then(() => closeConnections(), (e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  closeConnections();
  process.exitCode = 1;
});
