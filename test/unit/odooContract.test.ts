import assert from 'node:assert/strict';
import {
  ContractViolation, readCallResult, readCancelAnswer, readErrorBody, readHealth, readIdentity, readToolList,
} from '../../sidecar/src/odoo/contract.js';
import { fixture, fixtureNames } from '../support/contractFiles.js';

// Odoo's answers to the contract's example requests, as the addon's TestContractFixtures records and checks
// them against the real routes (docs/contract/fixtures/): the sidecar's reader must take every one.
const body = (name: string) => fixture(name).response.body;

describe('reading contract answers', () => {
  it('reads the health answer', () => {
    const h = readHealth(body('health'));
    assert.equal(h.odooVersion, '18.0');
    assert.match(h.addonVersion, /^18\.0\.\d+\.\d+\.\d+$/);
  });

  it('reads the identity answer', () => {
    const answer = body('identity') as { user: { id: number }; token_expires_at: string };
    const id = readIdentity(answer);
    assert.equal(id.user.id, answer.user.id);
    assert.equal(id.key.readOnly, true);
    assert.equal(id.key.name, 'Claude Desktop');
    assert.equal(id.server.name, 'Odoo MCP');
    assert.equal(id.tokenExpiresAt, Date.parse(answer.token_expires_at));
  });

  it("reads the user's cap of calls running at once, none from an addon that does not name it", () => {
    const answer = body('identity') as { running_calls_per_user: number };
    assert.equal(readIdentity(answer).runningCallsPerUser, answer.running_calls_per_user);
    assert.ok(answer.running_calls_per_user > 0, 'the recorded answer names a cap');
    const older: Record<string, unknown> = { ...body('identity') };
    delete older.running_calls_per_user;
    assert.equal(readIdentity(older).runningCallsPerUser, 0);
    assert.throws(() => readIdentity({ ...body('identity'), running_calls_per_user: -1 }), /running_calls_per_user is negative/);
    assert.throws(() => readIdentity({ ...body('identity'), running_calls_per_user: '2' }), /running_calls_per_user is not an integer/);
  });

  it('refuses an answer of another contract version', () => {
    assert.throws(() => readIdentity({ ...body('identity'), contract: 2 }), ContractViolation);
  });

  it('refuses an identity without a user id', () => {
    assert.throws(() => readIdentity({ ...body('identity'), user: { login: 'x' } }), /user.id/);
  });

  it('reads the tool list, keeping every MCP field of a definition', () => {
    const answer = body('tools') as { fingerprint: string; tools: Array<Record<string, unknown>> };
    const list = readToolList(answer);
    assert.equal(list.fingerprint, answer.fingerprint);
    assert.deepEqual(list.tools, answer.tools);
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
    const { contract: _contract, ...result } = body('call');
    assert.deepEqual(readCallResult(body('call')), result);
    assert.deepEqual(readCallResult(body('call-invalid-arguments')).isError, true);
  });

  it('reads the confirmation Odoo asks for, and refuses one without a state', () => {
    const content = [{ type: 'text', text: 'Confirmation needed' }];
    const r = readCallResult({ contract: 1, content, isError: true,
      confirmation: { state: 's.1', message: 'Delete 1 record', expires_at: '2026-11-25T10:05:00Z' } });
    assert.deepEqual(r, { content, isError: true, confirmation: { state: 's.1', message: 'Delete 1 record', expiresAt: '2026-11-25T10:05:00Z' } });
    assert.throws(() => readCallResult({ contract: 1, content, isError: true, confirmation: { message: 'x' } }), ContractViolation);
  });

  it('reads the cancel answers: a running call stopped, or none running', () => {
    assert.deepEqual(readCancelAnswer(body('cancel')), { cancelled: true });
    assert.deepEqual(readCancelAnswer(body('cancel-nothing-running')), { cancelled: false });
    assert.throws(() => readCancelAnswer({ contract: 1 }), ContractViolation);
  });

  for (const name of fixtureNames().filter((n) => fixture(n).response.status >= 400)) {
    it(`reads the refusal ${name}`, () => {
      const { response } = fixture(name);
      const error = readErrorBody(response.body);
      assert.ok(error && error.code && error.message, JSON.stringify(response.body));
    });
  }
});
