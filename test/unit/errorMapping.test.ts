import assert from 'node:assert/strict';
import { ProtocolError } from '@modelcontextprotocol/server';
import { httpAnswerFor, protocolErrorFor, toolResultOrThrow } from '../../sidecar/src/errorMapping.js';
import {
  AuthError,
  BatchNotSupported,
  ForbiddenOrigin,
  OdooRefusesService,
  OdooUnavailable,
  PayloadTooLarge,
  ToolResultInvalid,
  UnknownTool,
} from '../../sidecar/src/errors.js';

describe('error mapping', () => {
  it('answers a missing key with 401 and a Bearer challenge naming the realm', () => {
    const a = httpAnswerFor(new AuthError('missing', 'Authentication required'));
    assert.equal(a.status, 401);
    assert.equal(a.headers['WWW-Authenticate'], 'Bearer realm="odoo-mcp"');
    assert.equal(a.body.error.message, 'Authentication required');
  });

  it('answers a refused key with 401 and error="invalid_token"', () => {
    const a = httpAnswerFor(new AuthError('rejected', 'Invalid or missing API key'));
    assert.equal(a.status, 401);
    assert.match(a.headers['WWW-Authenticate']!, /^Bearer realm="odoo-mcp", error="invalid_token"/);
  });

  it('answers a foreign Origin or Host with 403', () => {
    assert.equal(httpAnswerFor(new ForbiddenOrigin('Origin', 'http://evil.example')).status, 403);
    assert.equal(httpAnswerFor(new ForbiddenOrigin('Host', 'evil.example')).status, 403);
  });

  it('answers size and batch problems per the transport rules', () => {
    assert.equal(httpAnswerFor(new PayloadTooLarge(1024)).status, 413);
    const batch = httpAnswerFor(new BatchNotSupported('2025-11-25'));
    assert.equal(batch.status, 400);
    assert.equal(batch.body.error.code, -32600);
  });

  it("answers Odoo trouble with 5xx, without Odoo's URL", () => {
    const down = httpAnswerFor(new OdooUnavailable('http://odoo:8069', 'unreachable', 'ECONNREFUSED: connection refused', 'connect ECONNREFUSED 10.0.0.5:8069'));
    assert.equal(down.status, 503);
    assert.equal(down.body.error.message, 'Odoo is unreachable (ECONNREFUSED: connection refused)');
    assert.equal(down.body.error.data, undefined);
    assert.equal(httpAnswerFor(new OdooUnavailable('http://odoo', 'timeout', 'slow')).status, 504);
    assert.equal(httpAnswerFor(new OdooUnavailable('http://odoo', 'bad_answer', 'html')).status, 502);
    assert.equal(httpAnswerFor(new OdooRefusesService('mcp_disabled', 'off')).status, 403);
  });

  it('never leaks an unexpected error message', () => {
    const a = httpAnswerFor(new Error('SELECT * FROM secret'));
    assert.equal(a.status, 500);
    assert.equal(a.body.error.message, 'Internal error');
    assert.equal(protocolErrorFor(new TypeError('x is undefined')).message, 'Internal error');
  });

  it("turns a result that breaks the tool's outputSchema into an isError result the model can read", () => {
    const r = toolResultOrThrow(new ToolResultInvalid('odoo_search', ['/total must be integer']));
    assert.equal(r.isError, true);
    assert.deepEqual(r.content, [{ type: 'text', text: "Odoo returned a result for odoo_search that does not match the tool's outputSchema: /total must be integer" }]);
  });

  it('turns an unknown tool into JSON-RPC -32602', () => {
    assert.throws(
      () => toolResultOrThrow(new UnknownTool('nope')),
      (e: unknown) => e instanceof ProtocolError && e.code === -32602 && e.message === 'Unknown tool: nope',
    );
  });

  it("turns Odoo being down inside MCP into -32603, keeping Odoo's URL for the log", () => {
    const err = new OdooUnavailable('http://odoo:8069', 'timeout', 'no answer within 10 ms', 'no answer from /llm_mcp/v1/call within 10 ms');
    const e = protocolErrorFor(err);
    assert.equal(e.code, -32603);
    assert.equal(e.message, 'Odoo did not answer in time (no answer within 10 ms)');
    assert.equal(e.data, undefined);
    assert.equal(err.detail, 'Odoo at http://odoo:8069 did not answer in time: no answer from /llm_mcp/v1/call within 10 ms');
  });
});
