// A sidecar that dies is started again: scripts/stack.sh runs it under scripts/lib/supervise.sh, whose pid is in
// the pid file. Clients get MCP answers through the proxy again within seconds, and the restart is in the
// sidecar's log; `stack.sh stop sidecar` stops supervisor and sidecar alike, with no restart. Runs before the
// outage test, which stops Odoo.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect, MODERN_VERSION } from './clients.js';
import { fixtures } from './fixtures.js';
import { e2e, stack } from './stack.js';

const pidFile = join(e2e.stateDir, 'run/sidecar.pid');
const logFile = join(e2e.stateDir, 'logs/sidecar.log');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The node process of the sidecar: in the supervisor's process group, the one running the bundle. */
function sidecarNode(supervisor: number): number {
  const ps = execFileSync('ps', ['-o', 'pid=,args=', '-g', String(supervisor)], { encoding: 'utf8' });
  const line = ps.split('\n').find((l) => /^\s*\d+ \S*node .*sidecar\/dist\/main\.mjs/.test(l));
  assert.ok(line, `no sidecar node process in process group ${supervisor}:\n${ps}`);
  return Number(line.trim().split(' ')[0]);
}

/** tools/list through the proxy, as a client does it; throws while the sidecar is not back. */
async function listThroughProxy(): Promise<number> {
  const session = await connect(fixtures.admin.key, MODERN_VERSION);
  try {
    return (await session.listTools()).length;
  } finally {
    await session.close();
  }
}

describe('A sidecar that dies', () => {
  it('is restarted by its supervisor: the proxy answers MCP again within seconds, and the log says why', async () => {
    const supervisor = Number(readFileSync(pidFile, 'utf8'));
    const node = sidecarNode(supervisor);
    const logFrom = statSync(logFile).size;
    process.kill(node, 'SIGKILL');
    const killed = Date.now();
    let tools = 0;
    let lastError: unknown;
    while (!tools && Date.now() - killed < 30_000) {
      tools = await listThroughProxy().catch((err: unknown) => ((lastError = err), 0));
      if (!tools) await sleep(100);
    }
    const seconds = (Date.now() - killed) / 1000;
    console.log(`      tools/list through the proxy answered again ${seconds.toFixed(1)} s after the SIGKILL`);
    assert.ok(tools > 0, `no answer within 30 s; last error: ${String(lastError)}`);
    assert.ok(seconds < 10, `took ${seconds} s`);

    const added = readFileSync(logFile).subarray(logFrom).toString('utf8'); // a byte offset: the log is not all ASCII
    assert.match(added, /supervise\.sh\[\d+\] sidecar: exited \([^)]+\) after \d+s; restarting in 1s/);
    assert.match(added, /supervise\.sh\[\d+\] sidecar: restarted \(pid \d+, restart 1\)/);
    assert.equal(Number(readFileSync(pidFile, 'utf8')), supervisor, 'the pid file still names the same supervisor');
    assert.notEqual(sidecarNode(supervisor), node);
    const { stdout } = await stack('status');
    assert.match(stdout, /sidecar\s+up\s+.*\(ready\); restarted once by its supervisor/);
  });

  it('stays stopped after `stack.sh stop sidecar`, nothing of it left running, until `up`', async () => {
    const supervisor = Number(readFileSync(pidFile, 'utf8'));
    await stack('stop', 'sidecar');
    assert.throws(() => process.kill(-supervisor, 0), 'a process of the sidecar\'s group still runs');
    await sleep(1500); // longer than the supervisor's shortest pause: a restart would show now
    const status = await stack('status').then(() => '', (err: Error) => err.message);
    assert.match(status, /sidecar\s+DOWN/);
    await stack('up');
    assert.ok((await listThroughProxy()) > 0);
  });
});
