// TEST CODE ONLY. The sidecar as `npm start` runs it in production: the esbuild bundle in its own node process
// with V8's old generation capped (SIDECAR_MAX_OLD_SPACE_MB, 96 MB), so memory limits are what they will be.
// Reads the process's resident memory from /proc.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

export interface SidecarProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  /** VmRSS and VmHWM (peak) in MB, from /proc/<pid>/status. */
  memory(): { rssMb: number; peakMb: number };
  stop(): Promise<void>;
}

/**
 * Bundles the sidecar (`npm run build`) and starts it with the production heap cap; `root` is this checkout
 * unless given (e.g. an older one, to compare).
 */
export async function startBundledSidecar(env: Record<string, string>, options: { root?: string; oldSpaceMb?: number } = {}): Promise<SidecarProcess> {
  const root = options.root ?? ROOT;
  await run('npm', ['run', '--silent', 'build'], { cwd: root });
  const child = spawn(process.execPath, [`--max-old-space-size=${options.oldSpaceMb ?? 96}`, 'sidecar/dist/main.mjs'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /"url":"(http:\/\/[^"]+)\/mcp"/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the sidecar exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    url,
    stderr: () => stderr,
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const mb = (field: string) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 102.4) / 10;
      return { rssMb: mb('VmRSS'), peakMb: mb('VmHWM') };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
