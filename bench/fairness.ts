// One key floods the sidecar while another user's key works normally: the other key's latency with and without
// the flood. The flooder keeps BENCH_FLOOD calls in flight (100), each held BENCH_TOOL_MS by "Odoo" (20 ms); the
// other key makes BENCH_SAMPLES sequential calls of a tool Odoo answers at once (whoami), so what grows under
// the flood is its wait for a slot at Odoo. Odoo is the contract stand-in (test/support/odooStandIn.ts); the
// sidecar runs as `npm start` runs it (bundle, 96 MB of old space), from this checkout or from
// BENCH_SIDECAR_ROOT (an older checkout with its own node_modules, for a before/after). The stand-in, the
// sidecar, the flooder and the measuring client are four processes, so none slows another's event loop.
//
//   node --import tsx bench/fairness.ts        prints one JSON document (stdout) and a line per phase (stderr)
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ALICE_KEY, BOB_KEY, OdooStandIn } from '../test/support/odooStandIn.js';
import { legacy, post } from '../test/support/rawMcp.js';
import { startBundledSidecar } from '../test/support/sidecarProcess.js';
import { percentile, round } from './stats.js';

const FLOOD = Number(process.env.BENCH_FLOOD ?? 100);
const TOOL_MS = Number(process.env.BENCH_TOOL_MS ?? 20);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 100);

const slow = (id: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow_echo', arguments: { ms: TOOL_MS } } });
const quick = (id: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } });

/** A child process running this file in another role; resolves with the first line it prints. */
function role(name: string, ...args: string[]): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), name, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return { child, firstLine };
}

async function standIn(): Promise<void> {
  const odoo = new OdooStandIn();
  process.stdout.write(`${await odoo.start()}\n`);
}

/** Keeps FLOOD calls in flight with the flooding key until killed; prints `flooding` once they are all sent. */
function flooder(mcp: string): void {
  let sent = 0;
  const loop = async (n: number): Promise<void> => {
    for (;;) await post(mcp, slow(`flood-${n}-${sent++}`), legacy(ALICE_KEY)).catch(() => undefined);
  };
  for (let n = 0; n < FLOOD; n++) void loop(n);
  process.stdout.write('flooding\n');
}

function summarize(ms: number[]): { p50: number; p95: number; max: number } {
  return { p50: round(percentile(ms, 50), 1), p95: round(percentile(ms, 95), 1), max: round(Math.max(...ms), 1) };
}

async function otherKeyLatencies(mcp: string): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    const a = await post(mcp, quick(`other-${i}`), legacy(BOB_KEY));
    if ((a.json as { result?: { isError?: boolean } } | undefined)?.result?.isError !== false) {
      throw new Error(`the other key's call failed: ${JSON.stringify(a.text.slice(0, 300))}`);
    }
    ms.push(performance.now() - t);
  }
  return ms;
}

async function main(): Promise<void> {
  const odoo = role('stand-in');
  const odooUrl = await odoo.firstLine;
  const root = process.env.BENCH_SIDECAR_ROOT;
  const sidecar = await startBundledSidecar({ ODOO_URL: odooUrl }, root ? { root } : {});
  const mcp = `${sidecar.url}/mcp`;
  let flood: ReturnType<typeof role> | undefined;
  try {
    for (let i = 0; i < 10; i++) await post(mcp, quick(`warm-${i}`), legacy(BOB_KEY)); // identity, tool list, JIT
    const quiet = summarize(await otherKeyLatencies(mcp));
    process.stderr.write(`other key, no flood:        p50 ${quiet.p50} ms, p95 ${quiet.p95} ms\n`);
    flood = role('flooder', mcp);
    await flood.firstLine;
    await new Promise((r) => setTimeout(r, 1000)); // the flood reaches its steady state
    const flooded = summarize(await otherKeyLatencies(mcp));
    process.stderr.write(`other key, ${FLOOD}-call flood:  p50 ${flooded.p50} ms, p95 ${flooded.p95} ms\n`);
    process.stdout.write(JSON.stringify({ sidecar: root ?? 'this checkout', flood: FLOOD, floodToolMs: TOOL_MS, samples: SAMPLES, quiet, flooded }, null, 2) + '\n');
  } finally {
    flood?.child.kill();
    await sidecar.stop();
    odoo.child.kill();
  }
}

const [which, arg] = process.argv.slice(2);
if (which === 'stand-in') await standIn();
else if (which === 'flooder') flooder(arg!);
else await main();
