// Concurrency sweep with autocannon: N connections, each sending the target's request back to back, bounded
// by time. A reply that is not a success of the path (HTTP status or JSON-RPC/tool error) counts as an error.
// A target with `keys` spreads its connections over them (connection i sends key i mod n), as many people would.
import autocannon, { type Client } from 'autocannon';
import type { Target } from './targets.js';

export interface SweepFigures { connections: number; requests: number; rps: number; p50: number; p97_5: number; p99: number; errors: number }

export async function sweep(target: Target, connections: number, seconds: number): Promise<SweepFigures> {
  let badBodies = 0;
  await target.refresh?.();
  const keys = target.keys ?? [];
  let nextClient = 0;
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...target.headers },
    body: target.body,
    ...(keys.length > 0 ? {
      setupClient: (client: Client) => {
        client.setHeaders({ 'content-type': 'application/json', ...target.headers, authorization: `Bearer ${keys[nextClient++ % keys.length]}` });
      },
    } : {}),
    requests: [{
      method: 'POST',
      body: target.body,
      onResponse: (status: number, body: string) => {
        try {
          target.check({ status, headers: {}, body });
        } catch {
          badBodies++;
        }
      },
    }],
  });
  const errors = result.errors + result.timeouts + result.non2xx + badBodies;
  return {
    connections,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p97_5: result.latency.p97_5,
    p99: result.latency.p99,
    errors,
  };
}
