import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

// The contract is the single source both halves are tested against; its version and error codes are
// what the sidecar's error mapping keys on, so they must stay stated in it.
describe('docs/contract.md', () => {
  const text = readFileSync(new URL('../../docs/contract.md', import.meta.url), 'utf8');

  it('states the contract version', () => {
    assert.match(text, /\*\*Contract version: 1\*\*/);
  });

  for (const code of ['bad_request', 'unauthorized', 'mcp_disabled', 'unknown_tool', 'internal_error', 'unknown_prompt', 'invalid_arguments', 'unknown_reference', 'cancelled']) {
    it(`documents the error code ${code}`, () => {
      assert.ok(text.includes('`' + code + '`'), `missing ${code}`);
    });
  }
});
