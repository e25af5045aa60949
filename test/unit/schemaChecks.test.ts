import assert from 'node:assert/strict';
import { compileResultCheck } from '../../sidecar/src/mcp/schemaChecks.js';

describe('result checks (outputSchema, JSON Schema 2020-12)', () => {
  it('checks a structured result against the outputSchema', () => {
    const c = compileResultCheck({ type: 'object', properties: { total: { type: 'integer' } }, required: ['total'] })!;
    assert.deepEqual(c({ total: 3 }), []);
    assert.deepEqual(c({ total: 'x' }), ['/total must be integer']);
    assert.deepEqual(c({}), ["(root) must have required property 'total'"]);
  });

  it('understands 2020-12 keywords ($defs/$ref, prefixItems)', () => {
    const c = compileResultCheck({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: { point: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], items: false } },
      properties: { at: { $ref: '#/$defs/point' } },
    })!;
    assert.deepEqual(c({ at: [1, 2] }), []);
    assert.notDeepEqual(c({ at: [1, 'two'] }), []);
    assert.notDeepEqual(c({ at: [1, 2, 3] }), []);
  });

  it('compiles the same schema with an $id twice (tool list refreshed)', () => {
    const schema = { $id: 'urn:tool:x', type: 'object', required: ['a'] };
    assert.ok(compileResultCheck(schema));
    assert.deepEqual(compileResultCheck({ ...schema })!({}), ["(root) must have required property 'a'"]);
  });

  it('does not block a tool whose schema it cannot compile', () => {
    assert.equal(compileResultCheck({ type: 'object', properties: { a: { $ref: '#/nowhere' } } }), undefined);
  });
});
