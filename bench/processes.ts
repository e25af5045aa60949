// The stack's processes as the benchmark watches them (Linux /proc): each component is the process tree under a
// pid file (a supervisor, nginx's master, PostgreSQL's postmaster), so other programs on a shared machine never
// count. CPU time, resident memory and open TCP connections, read without touching the processes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function stat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may contain spaces and parentheses)
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Every process's parent, read once: a tree walk per component then costs no further reads of /proc. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = stat(Number(entry));
    if (fields) out.set(Number(entry), Number(fields[1]));
  }
  return out;
}

/** `root` and all its descendants. */
export function tree(root: number, parentOf: Map<number, number> = parents()): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentOf) (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(pid);
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (!parentOf.has(pid)) continue;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The pid in the first line of a pid file (PostgreSQL's postmaster.pid too), if the file is there. */
export function pidFromFile(path: string | undefined): number | undefined {
  if (!path || !existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').split('\n')[0]!.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Seconds of CPU (user + system) used so far by the processes of each component. */
export function cpuSeconds(components: Record<string, number[]>): Record<string, number> {
  const parentOf = parents();
  const out: Record<string, number> = {};
  for (const [name, roots] of Object.entries(components)) {
    let ticks = 0;
    for (const root of roots) {
      for (const pid of tree(root, parentOf)) {
        const fields = stat(pid);
        if (fields) ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
      }
    }
    out[name] = ticks / TICKS_PER_SECOND;
  }
  return out;
}

/** Share of one core each component used between two cpuSeconds() readings `seconds` apart (1 = one full core). */
export function coresUsed(before: Record<string, number>, after: Record<string, number>, seconds: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, Math.round(((after[k]! - (before[k] ?? 0)) / seconds) * 100) / 100]));
}

/** The processes of a component whose command line matches `pattern` (e.g. the sidecars' node processes under their supervisors). */
export function matching(roots: number[], pattern: RegExp): number[] {
  const parentOf = parents();
  return roots.flatMap((root) => tree(root, parentOf)).filter((pid) => {
    try {
      return pattern.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      return false;
    }
  });
}

/** TCP connections whose local port is `port` (the server's side of each), IPv4 and IPv6, in a state (hex, as /proc shows it: 01 established, 06 time-wait). */
export function connectionsTo(port: number, state = '01'): number {
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const localPort = parseInt(cols[1]!.split(':').pop()!, 16);
      if (localPort === port && cols[3] === state) count++;
    }
  }
  return count;
}
