// TEST CODE ONLY. A steady load of MCP tools/call requests through the proxy, as many clients at once: each client
// sends one stateless 2026-07-28 call, waits for its answer, sends the next. Every call has an id of its own (the
// JSON-RPC id, which Odoo writes into the audit row's request_id), and every outcome is kept, so a test can count
// what clients were answered against what Odoo audited.
import { META_2026 } from '../support/rawMcp.js';

/** How one call ended, as the client saw it. */
export type Outcome =
  | 'ok' //            a tool result, not an error
  | 'tool_error' //    a tool result with isError: the call reached Odoo, which answered it
  | 'rpc_error' //     a JSON-RPC error (the sidecar's, or the proxy's 502 body)
  | 'http_error' //    an HTTP error without a JSON-RPC body
  | 'network' //       no HTTP answer at all
  | 'timeout'; //      no answer within the call deadline

export interface CallRecord {
  id: string;
  key: number;
  startedAt: number;
  endedAt: number;
  outcome: Outcome;
  status: number;
  message: string;
}

export interface LoadOptions {
  url: string;
  keys: string[];
  clients: number;
  /** Prefix of every call's id: `<prefix>-<n>`. */
  idPrefix: string;
  tool: string;
  args: Record<string, unknown>;
  /** A call without an answer after this long counts as `timeout` (and fails the tests that assert none). */
  callDeadlineMs?: number;
}

export class CallLoad {
  readonly records: CallRecord[] = [];
  private next = 0;
  private stopping = false;
  private running: Promise<void>[] = [];
  private open = new Map<string, number>();

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    for (let c = 0; c < this.options.clients; c++) this.running.push(this.client(c));
  }

  /** Stops sending; resolves with every record once the calls in flight have ended. */
  async stop(): Promise<CallRecord[]> {
    this.stopping = true;
    await Promise.all(this.running);
    return this.records;
  }

  /** The ids of the calls sent and not yet answered. */
  inFlight(): string[] {
    return [...this.open.keys()];
  }

  count(outcome: Outcome, since = 0): number {
    return this.records.filter((r) => r.outcome === outcome && r.startedAt >= since).length;
  }

  /** Waits until `done()` holds, checking every 100 ms; throws naming `what` after `deadlineMs`. */
  async until(what: string, deadlineMs: number, done: () => boolean | Promise<boolean>): Promise<void> {
    const end = Date.now() + deadlineMs;
    while (!(await done())) {
      if (Date.now() > end) throw new Error(`${what}: not within ${deadlineMs} ms (${this.summary()})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  summary(since = 0): string {
    const outcomes: Outcome[] = ['ok', 'tool_error', 'rpc_error', 'http_error', 'network', 'timeout'];
    return outcomes.map((o) => `${o} ${this.count(o, since)}`).join(', ');
  }

  private async client(c: number): Promise<void> {
    const key = c % this.options.keys.length;
    while (!this.stopping) {
      // after a failure a client waits a little before its next call, as real ones back off (and so that a
      // hundred clients looping on instant errors do not starve the restart they are waiting for of CPU)
      if ((await this.call(key)) !== 'ok') await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async call(key: number): Promise<Outcome> {
    const id = `${this.options.idPrefix}-${this.next++}`;
    const startedAt = Date.now();
    this.open.set(id, startedAt);
    const record = (outcome: Outcome, status: number, message: string): Outcome => {
      this.open.delete(id);
      this.records.push({ id, key, startedAt, endedAt: Date.now(), outcome, status, message });
      return outcome;
    };
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.options.url, {
        method: 'POST',
        signal: AbortSignal.timeout(this.options.callDeadlineMs ?? 60_000),
        headers: {
          'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
          Authorization: `Bearer ${this.options.keys[key]}`, 'MCP-Protocol-Version': '2026-07-28',
          'Mcp-Method': 'tools/call', 'Mcp-Name': this.options.tool,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call',
          params: { name: this.options.tool, arguments: this.options.args, _meta: META_2026 } }),
      });
      text = await res.text();
    } catch (err) {
      const name = (err as Error).name;
      return record(name === 'TimeoutError' ? 'timeout' : 'network', 0, String((err as Error).message));
    }
    let json: { result?: { isError?: boolean; content?: { text?: string }[] }; error?: { message?: string } } | undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (json?.result) {
      const message = json.result.isError ? (json.result.content?.[0]?.text ?? '') : '';
      return record(json.result.isError ? 'tool_error' : 'ok', res.status, message);
    }
    if (json?.error) return record('rpc_error', res.status, String(json.error.message ?? ''));
    return record('http_error', res.status, text.slice(0, 300));
  }
}

/**
 * Runs `traffic` through a restart: `calls` answered before, `restart()` (which resolves once the restarted process
 * answers again), `calls` answered after; then stops it and asserts that no call hung or lost its connection.
 * Returns the calls that failed (what clients were told meanwhile is the caller's to check).
 */
export async function throughRestart(traffic: CallLoad, restart: () => Promise<unknown>, calls = 60): Promise<CallRecord[]> {
  traffic.start();
  try {
    await traffic.until(`${calls} calls answered before the restart`, 60_000, () => traffic.count('ok') >= calls);
    await restart();
    const back = Date.now();
    await traffic.until(`${calls} calls answered after the restart`, 90_000, () => traffic.count('ok', back) >= calls);
  } finally {
    await traffic.stop();
  }
  const failed = traffic.records.filter((r) => r.outcome !== 'ok');
  console.log(`      clients saw, e.g.: ${[...new Set(failed.map((f) => `${f.status} ${f.message.slice(0, 90)}`))].slice(0, 4).join(' | ')}`);
  if (traffic.count('timeout') + traffic.count('network') > 0) {
    throw new Error(`a call hung or lost its connection (${traffic.summary()})`);
  }
  return failed;
}

/** One line of the stack's nginx access log (log_format llm_mcp of scripts/stack.sh). */
export interface AccessLine {
  path: string;
  status: number;
  /** The upstreams tried, in order (more than one when nginx retried on another). */
  upstreams: string[];
  upstreamStatuses: string[];
}

export function parseAccessLog(text: string): AccessLine[] {
  const lines: AccessLine[] = [];
  for (const line of text.split('\n')) {
    const m = /"[A-Z]+ (\S+) [^"]*" (\d{3}) .* upstream=(.*) upstream_status=(.*) upstream_time=/.exec(line);
    if (!m) continue;
    lines.push({ path: m[1]!, status: Number(m[2]), upstreams: m[3]!.split(/,\s*/), upstreamStatuses: m[4]!.split(/,\s*/) });
  }
  return lines;
}
