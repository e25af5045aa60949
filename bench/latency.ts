// Sequential latency, interleaved: every round runs each path in a fresh random order, so drift on a shared
// machine spreads over all paths instead of biasing one. Figures are medians across rounds.
import { hit, type Target } from './targets.js';
import { median, percentile, round } from './stats.js';

export interface LatencyFigures { p50: number; p95: number; p99: number; samples: number; errors: number }

function shuffled<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export async function measureLatency(targets: Target[], rounds: number, callsPerRound: number): Promise<Record<string, LatencyFigures>> {
  const perRound = new Map<string, { p50: number[]; p95: number[]; p99: number[]; all: number[]; errors: number }>();
  for (const t of targets) perRound.set(t.name, { p50: [], p95: [], p99: [], all: [], errors: 0 });
  for (let r = 0; r < rounds; r++) {
    for (const t of shuffled(targets)) {
      const acc = perRound.get(t.name)!;
      await t.refresh?.();
      const samples: number[] = [];
      for (let i = 0; i < callsPerRound; i++) {
        const start = performance.now();
        try {
          await hit(t);
          samples.push(performance.now() - start);
        } catch {
          acc.errors++;
        }
      }
      acc.p50.push(percentile(samples, 50));
      acc.p95.push(percentile(samples, 95));
      acc.p99.push(percentile(samples, 99));
      acc.all.push(...samples);
    }
  }
  const out: Record<string, LatencyFigures> = {};
  for (const [name, acc] of perRound) {
    out[name] = { p50: round(median(acc.p50)), p95: round(median(acc.p95)), p99: round(median(acc.p99)), samples: acc.all.length, errors: acc.errors };
  }
  return out;
}
