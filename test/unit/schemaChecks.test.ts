import assert from 'node:assert/strict';
import { compileArgumentCheck, compileResultCheck } from '../../sidecar/src/mcp/schemaChecks.js';

const searchSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    model: { type: 'string' },
    limit: { type: 'integer', minimum: 1, maximum: 100 },
    order: { type: 'string', enum: ['asc', 'desc'] },
    filters: { type: 'object', properties: { active: { type: 'boolean' } }, additionalProperties: false },
  },
  required: ['model'],
  additionalProperties: false,
};

describe('schema checks (JSON Schema 2020-12)', () => {
  const check = compileArgumentCheck(searchSchema)!;

  it('accepts valid arguments', () => {
    assert.deepEqual(check({ model: 'res.partner', limit: 5, order: 'asc', filters: { active: true } }), []);
  });

  it('names a missing argument', () => {
    assert.deepEqual(check({}), ['missing required argument "model"']);
  });

  it('names an unknown argument', () => {
    assert.deepEqual(check({ model: 'x', colour: 'red' }), ['unknown argument "colour"']);
  });

  it('names an argument of the wrong type', () => {
    assert.deepEqual(check({ model: 'x', limit: 'five' }), ['argument "limit" must be of type integer']);
  });

  it('names nested arguments with a dotted path', () => {
    assert.deepEqual(check({ model: 'x', filters: { active: 'yes' } }), ['argument "filters.active" must be of type boolean']);
  });

  it('explains range and enum violations', () => {
    assert.deepEqual(check({ model: 'x', limit: 0 }), ['argument "limit" must be >= 1']);
    assert.deepEqual(check({ model: 'x', order: 'up' }), ['argument "order" must be one of ["asc","desc"]']);
  });

  it('reports every problem at once', () => {
    assert.equal(check({ limit: 'x', extra: 1 }).length, 3);
  });

  it('understands 2020-12 keywords ($defs/$ref, prefixItems)', () => {
    const c = compileArgumentCheck({
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
    assert.ok(compileArgumentCheck(schema));
    assert.deepEqual(compileArgumentCheck({ ...schema })!({}), ['missing required argument "a"']);
  });

  it('does not block a tool whose schema it cannot compile', () => {
    assert.equal(compileArgumentCheck({ type: 'object', properties: { a: { $ref: '#/nowhere' } } }), undefined);
  });

  it('checks a structured result against the outputSchema', () => {
    const c = compileResultCheck({ type: 'object', properties: { total: { type: 'integer' } }, required: ['total'] })!;
    assert.deepEqual(c({ total: 3 }), []);
    assert.deepEqual(c({ total: 'x' }), ['/total must be integer']);
    assert.deepEqual(c({}), ["(root) must have required property 'total'"]);
  });
});
