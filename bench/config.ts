// Where the benchmark finds the stack: environment variables, defaulting to the dev stack's env file.
import { existsSync, readFileSync } from 'node:fs';

export interface BenchConfig {
  proxyUrl: string;      // public URL of the reverse proxy (Odoo and /mcp behind one port)
  sidecarUrl: string;    // the sidecar's own URL, to measure it without the proxy
  odooUrl: string;       // Odoo itself, for the two baselines
  db: string;
  login: string;
  password: string;
  mcpKey: string;        // an MCP-scoped key: what our clients use
  /** MCP keys of other users (BENCH_MCP_KEYS, comma-separated), for tools/call throughput as many people; may be empty. */
  userKeys: string[];
  rpcKey: string;        // a global key: what a standalone /jsonrpc MCP server needs
  sidecarPid: number | undefined;
  rounds: number;        // interleaved rounds; medians are taken across them
  callsPerRound: number;
  sweep: number[];       // concurrency levels
  sweepSeconds: number;
  /** Requests of each profiled path (bench/profile.ts). */
  profileCalls: number;
  /** Odoo's log file (per-request query counts and times); optional. */
  odooLog: string | undefined;
  /** Pid files of the stack's components (a supervisor, nginx's master, postmaster.pid), for CPU and connection figures. */
  pidFiles: { odoo: string | undefined; nginx: string | undefined; postgres: string | undefined; sidecars: string[] };
  /** Odoo's HTTP port (open connections to it are counted in the soak). */
  odooPort: number;
}

function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
  }
  return out;
}

/** Reads the configuration (scripts/bench.sh sets it from the dev stack); fails naming the missing setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const file = readEnvFile(env.BENCH_ENV_FILE ?? '.state/stack/bench.env');
  const get = (name: string, fallback?: string): string => {
    const v = env[name] ?? file[name] ?? fallback;
    if (v === undefined || v === '') throw new Error(`bench: ${name} is not set (environment or ${env.BENCH_ENV_FILE ?? '.state/stack/bench.env'})`);
    return v;
  };
  const int = (name: string, fallback: string): number => {
    const v = Number(get(name, fallback));
    if (!Number.isInteger(v) || v <= 0) throw new Error(`bench: ${name} must be a positive integer, got ${get(name, fallback)}`);
    return v;
  };
  const pidFile = env.BENCH_SIDECAR_PID_FILE ?? file.BENCH_SIDECAR_PID_FILE;
  const pid = env.BENCH_SIDECAR_PID ?? (pidFile && existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : undefined);
  return {
    proxyUrl: get('BENCH_PROXY_URL').replace(/\/$/, ''),
    sidecarUrl: get('BENCH_SIDECAR_URL').replace(/\/$/, ''),
    odooUrl: get('BENCH_ODOO_URL').replace(/\/$/, ''),
    db: get('BENCH_DB'),
    login: get('BENCH_LOGIN', 'admin'),
    password: get('BENCH_PASSWORD', 'admin'),
    mcpKey: get('BENCH_MCP_KEY'),
    userKeys: (env.BENCH_MCP_KEYS ?? file.BENCH_MCP_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
    rpcKey: get('BENCH_RPC_KEY'),
    sidecarPid: pid ? Number(pid) : undefined,
    rounds: int('BENCH_ROUNDS', '5'),
    callsPerRound: int('BENCH_CALLS', '40'),
    sweep: get('BENCH_SWEEP', '1,8,32,128').split(',').map(Number),
    sweepSeconds: int('BENCH_SWEEP_SECONDS', '5'),
    profileCalls: int('BENCH_PROFILE_CALLS', '300'),
    odooLog: env.BENCH_ODOO_LOG ?? file.BENCH_ODOO_LOG,
    pidFiles: {
      odoo: env.BENCH_ODOO_PID_FILE ?? file.BENCH_ODOO_PID_FILE,
      nginx: env.BENCH_NGINX_PID_FILE ?? file.BENCH_NGINX_PID_FILE,
      postgres: env.BENCH_PG_PID_FILE ?? file.BENCH_PG_PID_FILE,
      // every sidecar behind the proxy (STACK_SIDECARS); the first is also BENCH_SIDECAR_PID_FILE
      sidecars: (env.BENCH_SIDECAR_PID_FILES ?? file.BENCH_SIDECAR_PID_FILES ?? pidFile ?? '').split(',').filter(Boolean),
    },
    odooPort: Number(new URL(get('BENCH_ODOO_URL')).port || 80),
  };
}
