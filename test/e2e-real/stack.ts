// The real stack the end-to-end suite runs against: scripts/stack.sh with a state folder and ports of its own
// (so it never touches a developer's `scripts/stack.sh up`), and Odoo's ORM through `stack.sh shell`.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { testCertificate } from './testCertificate.js';

export const root = new URL('../../', import.meta.url).pathname;
const port = Number(process.env.E2E_PORT ?? 8196);

/**
 * `.state/e2e` in the repository, unless the suite runs as root in a checkout the `postgres` user cannot
 * reach (say under /root): PostgreSQL runs as that user, so the state then goes to /var/tmp.
 */
function defaultStateDir(): string {
  const inRepo = join(root, '.state/e2e');
  if (process.getuid?.() !== 0) return inRepo;
  if (spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', root]).status === 0) return inRepo;
  return join('/var/tmp', `llm-mcp-e2e-${createHash('sha1').update(root).digest('hex').slice(0, 10)}`);
}

/** How the suite's stack is configured; the sidecar's identity cache is short so revocation is quick to see. */
export const e2e = {
  stateDir: process.env.E2E_STATE_DIR ?? defaultStateDir(),
  db: process.env.E2E_DB ?? 'llm_mcp_e2e',
  port,
  odooPort: port + 1, // Odoo's gevent port (unused in threaded mode) is odooPort + 1
  sidecarPort: port + 3,
  authCacheTtlMs: Number(process.env.E2E_AUTH_CACHE_TTL_MS ?? 3000),
};
export const proxyUrl = `http://127.0.0.1:${e2e.port}`;
/** The certificate of the https servers tests run on loopback, which this stack's Odoo trusts. */
export const tls = testCertificate(join(e2e.stateDir, 'tls'));
export const mcpUrl = `${proxyUrl}/mcp`;

export const stackEnv: NodeJS.ProcessEnv = {
  ...process.env,
  STACK_STATE_DIR: e2e.stateDir,
  STACK_DB: e2e.db,
  STACK_PORT: String(e2e.port),
  STACK_ODOO_PORT: String(e2e.odooPort),
  STACK_SIDECAR_PORT: String(e2e.sidecarPort),
  STACK_HOST: '127.0.0.1',
  AUTH_CACHE_TTL_MS: String(e2e.authCacheTtlMs),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  STACK_SHOW_KEY: '0', // test output is a log: the key file's path only
  REQUESTS_CA_BUNDLE: tls.bundle,
};

/** Runs a command to its end; rejects with its output when it fails. */
export function runCommand(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string;
  echo?: boolean; timeoutMs?: number; cwd?: string } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? root, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (opts.echo) process.stdout.write(d); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); if (opts.echo) process.stderr.write(d); });
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`));
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** `scripts/stack.sh <args>` for the suite's stack, its progress echoed. */
export function stack(...args: string[]) {
  return runCommand('bash', [join(root, 'scripts/stack.sh'), ...args], { env: stackEnv, echo: true });
}

/**
 * Runs Python in `odoo-bin shell` on the suite's database (as superuser `env`; committed afterwards) and
 * returns what the script passed to `result(...)`.
 */
export async function orm<T = unknown>(python: string): Promise<T> {
  const prelude = 'import json\ndef result(value):\n    print("E2E_RESULT=" + json.dumps(value, default=str))\n';
  const { stdout } = await runCommand('bash', [join(root, 'scripts/stack.sh'), 'shell'], {
    // signal_changes: the running Odoo server learns of caches this process invalidated (e.g. the tool catalog),
    // as it would after a request; a shell does not do it by itself.
    env: stackEnv, input: prelude + python + '\nenv.cr.commit()\nenv.registry.signal_changes()\n', timeoutMs: 180_000,
  });
  const line = stdout.split('\n').reverse().find((l) => l.startsWith('E2E_RESULT='));
  if (!line) throw new Error(`odoo-bin shell printed no result:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice('E2E_RESULT='.length)) as T;
}
