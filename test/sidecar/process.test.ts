// The sidecar as `npm start` runs it: a bad setting stops it with a message naming the variable, and SIGTERM
// lets in-flight requests finish before the process exits.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ALICE_KEY, OdooStandIn } from '../support/odooStandIn.js';
import { legacy, post } from '../support/rawMcp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function startMain(env: Record<string, string>): { child: ChildProcess; stderr: () => string; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sidecar/src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /"url":"(http:\/\/[^"]+)\/mcp"/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  url.catch(() => undefined);
  return { child, stderr: () => stderr, url };
}

describe('the sidecar process', function () {
  this.timeout(30_000);

  it('refuses to start on a bad setting, naming the variable', async () => {
    const { child, stderr } = startMain({ ODOO_URL: 'odoo.example.com:8069', PORT: '0' });
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 2);
    assert.match(stderr(), /bad configuration: ODOO_URL=.*odoo\.example\.com:8069.*http/);
  });

  it('finishes in-flight requests on SIGTERM, then exits 0', async () => {
    const odoo = new OdooStandIn();
    await odoo.start();
    const { child, url } = startMain({ ODOO_URL: odoo.url, PORT: '0', HOST: '127.0.0.1' });
    try {
      const base = await url;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const slow = post(
        `${base}/mcp`,
        { jsonrpc: '2.0', id: 'last', method: 'tools/call', params: { name: 'slow_echo', arguments: { ms: 700 } } },
        legacy(ALICE_KEY),
      );
      while (!odoo.calls.some((c) => c.request_id === 'last')) await new Promise((r) => setTimeout(r, 20));
      const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
      const t0 = Date.now();
      child.kill('SIGTERM');
      const answer = await slow;
      assert.deepEqual(answer.json.result.structuredContent, { slept: 700 });
      const [code] = await exited;
      assert.equal(code, 0);
      // Keep-alive connections must not hold the exit until clients drop them.
      assert.ok(Date.now() - t0 < 3000, `exit took ${Date.now() - t0} ms`);
      await assert.rejects(fetch(`${base}/healthz`));
    } finally {
      child.kill('SIGKILL');
      await odoo.stop();
    }
  });
});
