// Resident memory of the sidecar process, read from /proc (Linux).
import { readdirSync, readFileSync } from 'node:fs';

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid; the command name before it may contain spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch { /* the process ended meanwhile */ }
  }
  return out;
}

/** The sidecar's own node process: a pid file may name the `npm start` wrapper, whose RSS never moves. */
export function sidecarProcess(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (/^(\S*\/)?node .*sidecar\/(src\/main\.ts|dist\/main\.mjs)/.test(cmdline(p))) return p;
    queue.push(...childrenOf(p));
  }
  return pid;
}

export function rssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

/** Samples RSS every `everyMs` until stopped; returns the peak seen. */
export function sampleRss(pid: number | undefined, everyMs = 100): { stop(): number | null } {
  let peak: number | null = rssMb(pid);
  const timer = setInterval(() => {
    const now = rssMb(pid);
    if (now !== null && (peak === null || now > peak)) peak = now;
  }, everyMs);
  return { stop: () => { clearInterval(timer); return peak; } };
}
