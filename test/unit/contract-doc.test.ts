import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture, fixtureNames } from '../support/contractFiles.js';

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

  // An example marked `<!-- fixture: NAME -->` (or `NAME request`) is the body of Odoo's real answer (or of the
  // request) in docs/contract/fixtures/NAME.json, which the addon's TestContractFixtures checks.
  const examples = [...text.matchAll(/<!-- fixture: ([\w-]+)( request)? -->\n```json\n([\s\S]*?)\n```/g)];

  it('marks its examples of the routes with their fixtures', () => {
    assert.deepEqual(examples.map((m) => m[1] + (m[2] ?? '')).sort(), ['call', 'call request', 'health', 'identity']);
    assert.equal(examples.length, [...text.matchAll(/<!-- fixture:/g)].length, 'a fixture marker not followed by a json block');
  });

  for (const [, name, request, json] of examples) {
    it(`shows the fixture ${name!}${request ?? ''} as it is`, () => {
      const exchange = fixture(name!);
      assert.deepEqual(JSON.parse(json!), request ? exchange.request.body : exchange.response.body);
    });
  }

  it('names every fixture', () => {
    for (const name of fixtureNames()) assert.ok(text.includes('`' + name + '`'), `docs/contract.md does not name the fixture ${name}`);
  });
});
