import assert from 'node:assert/strict';
import { ContractViolation, readCallResult, readIdentity, readToolList } from '../../sidecar/src/odoo/contract.js';

// The identity example of docs/contract.md, as Odoo sends it.
const identityAnswer = {
  contract: 1,
  user: { id: 2, login: 'admin', name: 'Mitchell Admin', lang: 'en_US', tz: 'Europe/Brussels', company: { id: 1, name: 'YourCompany' }, companies: [] },
  database: 'odoo',
  odoo_version: '18.0',
  key: { id: 7, name: 'Claude Desktop', scope: 'mcp', read_only: true, allowed_tools: null },
  server: { name: 'Odoo MCP', instructions: 'text' },
  tools_fingerprint: 'abc',
  token: 't',
  token_expires_at: '2026-11-25T10:15:00Z',
};

describe('reading contract answers', () => {
  it('reads the identity example of the contract', () => {
    const id = readIdentity(identityAnswer);
    assert.equal(id.user.id, 2);
    assert.equal(id.key.readOnly, true);
    assert.equal(id.server.name, 'Odoo MCP');
    assert.equal(id.tokenExpiresAt, Date.parse('2026-11-25T10:15:00Z'));
  });

  it('refuses an answer of another contract version', () => {
    assert.throws(() => readIdentity({ ...identityAnswer, contract: 2 }), ContractViolation);
  });

  it('refuses an identity without a user id', () => {
    assert.throws(() => readIdentity({ ...identityAnswer, user: { login: 'x' } }), /user.id/);
  });

  it('refuses tools with invalid names or a non-object input schema', () => {
    assert.throws(() => readToolList({ contract: 1, fingerprint: 'f', tools: [{ name: 'bad name', inputSchema: { type: 'object' } }] }), /not a valid tool name/);
    assert.throws(() => readToolList({ contract: 1, fingerprint: 'f', tools: [{ name: 'a', inputSchema: { type: 'array' } }] }), /root type/);
    assert.throws(
      () => readToolList({ contract: 1, fingerprint: 'f', tools: [{ name: 'a', inputSchema: { type: 'object' } }, { name: 'a', inputSchema: { type: 'object' } }] }),
      /unique/,
    );
  });

  it('keeps only MCP tool fields', () => {
    const list = readToolList({ contract: 1, fingerprint: 'f', tools: [{ name: 'a', inputSchema: { type: 'object' }, odoo_id: 4, title: 'A' }] });
    assert.deepEqual(list.tools, [{ name: 'a', inputSchema: { type: 'object' }, title: 'A' }]);
  });

  it('reads a call result and drops the contract envelope', () => {
    const r = readCallResult({ contract: 1, content: [{ type: 'text', text: '{}' }], structuredContent: { total: 0 }, isError: false });
    assert.deepEqual(r, { content: [{ type: 'text', text: '{}' }], structuredContent: { total: 0 }, isError: false });
  });

  it('reads the confirmation Odoo asks for, and refuses one without a state', () => {
    const content = [{ type: 'text', text: 'Confirmation needed' }];
    const r = readCallResult({ contract: 1, content, isError: true,
      confirmation: { state: 's.1', message: 'Delete 1 record', expires_at: '2026-11-25T10:05:00Z' } });
    assert.deepEqual(r, { content, isError: true, confirmation: { state: 's.1', message: 'Delete 1 record', expiresAt: '2026-11-25T10:05:00Z' } });
    assert.throws(() => readCallResult({ contract: 1, content, isError: true, confirmation: { message: 'x' } }), ContractViolation);
  });
});
