// The bench's sidecar profile summary (bench/profile.ts): V8's samples summed per request by the part of the
// program they ran in, a native function counted for the script that called it.
import assert from 'node:assert/strict';
import { partOf, summariseCpuProfile } from '../../bench/profile.js';

describe('bench profile: the sidecar CPU summary', () => {
  it('names the parts by script URL', () => {
    assert.equal(partOf('file:///w/node_modules/@modelcontextprotocol/server/dist/x.mjs', 'f'), 'MCP SDK');
    assert.equal(partOf('file:///w/node_modules/zod/v4/core/schemas.js', 'parse'), "zod (the SDK's schemas)");
    assert.equal(partOf('file:///w/node_modules/koa/lib/application.js', 'handle'), 'Koa');
    assert.equal(partOf('file:///w/sidecar/src/mcp/server.ts', 'x'), 'our code: mcp/server.ts');
    assert.equal(partOf('node:internal/deps/undici/undici', 'fetch'), "undici (the SDK's web Request/Response, fetch to Odoo)");
    assert.equal(partOf('node:_http_server', 'resOnFinish'), "Node's HTTP server and streams");
    assert.equal(partOf('', '(idle)'), undefined);
  });

  it('sums self time per request, natives counted for their caller, idle left out', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
        { id: 2, callFrame: frame('handle', 'file:///w/sidecar/src/http/mcpRoute.ts'), children: [3] },
        { id: 3, callFrame: frame('stringify', ''), children: [] },
        { id: 4, callFrame: frame('(idle)', ''), children: [] },
      ],
      samples: [2, 3, 3, 4, 4, 4],
      timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
    };
    const s = summariseCpuProfile(profile, 2);
    assert.equal(s.cpu_ms_per_request, 1.5); // 3 ms of work over 2 requests; idle is not work
    assert.deepEqual(s.by_part, [
      { part: 'our code: http/mcpRoute.ts (natives it calls)', ms: 1 },
      { part: 'our code: http/mcpRoute.ts', ms: 0.5 },
    ]);
  });
});
