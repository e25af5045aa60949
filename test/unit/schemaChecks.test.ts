import assert from 'node:assert/strict';
import { compileResultCheck } from '../../sidecar/src/mcp/schemaChecks.js';

describe('result checks (outputSchema, JSON Schema 2020-12)', () => {
  it('checks a structured result against the outputSchema', () => {
    const c = compileResultCheck({ type: 'object', properties: { total: { type: 'integer' } }, required: ['total'] })!;
    assert.deepEqual(c({ total: 3 }), []);
    // in the words of Odoo's validator (docs/contract/schema-cases.json), naming the result
    assert.deepEqual(c({ total: 'x' }), ["Result 'total' must be integer, got string."]);
    assert.deepEqual(c({}), ["The result is missing the required key 'total'."]);
    assert.deepEqual(c([]), ['The result must be object, got array.']);
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
    assert.deepEqual(compileResultCheck({ ...schema })!({}), ["The result is missing the required key 'a'."]);
  });

  it('lists every problem, in the order Odoo meets them', () => {
    const c = compileResultCheck({ type: 'object', properties: { ids: { type: 'array', items: { type: 'integer' } }, name: { type: 'string' } },
      required: ['name'], additionalProperties: false })!;
    assert.deepEqual(c({ ids: [1, 'x'], extra: true }), [
      "The result is missing the required key 'name'.", "Result 'ids[1]' must be integer, got string.", "The result has an unknown key 'extra'.",
    ]);
  });

  it('does not block a tool whose schema it cannot compile', () => {
    assert.equal(compileResultCheck({ type: 'object', properties: { a: { $ref: '#/nowhere' } } }), undefined);
  });
});
