// Odoo going away gives clients a clear error (not a hang or a stack trace), and the stack recovers when
// Odoo comes back. Runs last: it stops and restarts Odoo.
import assert from 'node:assert/strict';
import { connect, MODERN_VERSION, textOf, type McpSession } from './clients.js';
import { DEMO_COMPANIES, fixtures, SEARCH_TOOL } from './fixtures.js';
import { e2e, stack } from './stack.js';

describe('Odoo outage', () => {
  let session: McpSession;
  before(async () => {
    session = await connect(fixtures.admin.key, MODERN_VERSION);
  });
  after(async () => session?.close());

  it('answers with an error naming Odoo as unreachable while Odoo is stopped', async () => {
    await stack('stop', 'odoo');
    const started = Date.now();
    await assert.rejects(session.callTool(SEARCH_TOOL, DEMO_COMPANIES), (err: Error) => {
      assert.match(err.message, /Odoo .*(unreachable|did not answer)/);
      assert.doesNotMatch(err.message, /\n\s+at /, 'stack trace sent to the client');
      assert.ok(!err.message.includes(`:${e2e.odooPort}`), `the client is told where Odoo listens: ${err.message}`);
      console.log(`      client sees: ${err.message.slice(0, 200)}`);
      return true;
    });
    assert.ok(Date.now() - started < 15_000, 'the error took too long');
    const ready = await fetch(`http://127.0.0.1:${e2e.sidecarPort}/readyz`);
    assert.equal(ready.status, 503);
  });

  it('serves again once `stack.sh up` has brought Odoo back', async () => {
    await stack('up');
    const result = await session.callTool(SEARCH_TOOL, DEMO_COMPANIES);
    assert.equal(result.isError, false, textOf(result));
  });
});
