import assert from 'node:assert/strict';
import { AuthError, OdooUnavailable } from '../../sidecar/src/errors.js';
import { IdentityCache } from '../../sidecar/src/http/identityCache.js';
import { keyHash } from '../../sidecar/src/odoo/client.js';
import type { Identity } from '../../sidecar/src/odoo/contract.js';

function identity(userId: number, token = 'tok'): Identity {
  return {
    user: { id: userId, login: `u${userId}`, name: '' },
    database: 'db',
    odooVersion: '18.0',
    key: { id: userId * 10, name: 'k', scope: 'mcp', readOnly: false, allowedTools: null },
    server: { name: 'Odoo MCP' },
    toolsFingerprint: 'f',
    runningCallsPerUser: 0,
    token,
    tokenExpiresAt: 10_000_000,
  };
}

describe('identity cache', () => {
  let now: number;
  let calls: Array<{ key: string; token: string | undefined }>;
  let answer: (key: string) => Promise<Identity>;
  let cache: IdentityCache;

  beforeEach(() => {
    now = 1_000;
    calls = [];
    answer = (key) => (key === 'good' ? Promise.resolve(identity(2)) : Promise.reject(new AuthError('rejected', 'bad key')));
    cache = new IdentityCache(
      (key, token) => {
        calls.push({ key, token });
        return answer(key);
      },
      { ttlMs: 30_000, negativeTtlMs: 5_000, now: () => now },
    );
  });

  it('asks Odoo once while the answer is fresh, again after the TTL', async () => {
    await cache.resolve('good');
    now += 29_999;
    await cache.resolve('good');
    assert.equal(calls.length, 1);
    now += 2;
    await cache.resolve('good');
    assert.equal(calls.length, 2);
  });

  it('sends the fast-path token of the previous answer when re-checking', async () => {
    await cache.resolve('good');
    now += 31_000;
    await cache.resolve('good');
    assert.deepEqual(calls.map((c) => c.token), [undefined, 'tok']);
  });

  it('remembers a refused key for the shorter negative TTL', async () => {
    await assert.rejects(cache.resolve('bad'), AuthError);
    now += 4_999;
    await assert.rejects(cache.resolve('bad'), AuthError);
    assert.equal(calls.length, 1);
    now += 2;
    await assert.rejects(cache.resolve('bad'), AuthError);
    assert.equal(calls.length, 2);
  });

  it('does not remember Odoo being down', async () => {
    answer = () => Promise.reject(new OdooUnavailable('http://odoo', 'unreachable', 'ECONNREFUSED'));
    await assert.rejects(cache.resolve('good'), OdooUnavailable);
    answer = () => Promise.resolve(identity(2));
    assert.equal((await cache.resolve('good')).user.id, 2);
    assert.equal(calls.length, 2);
  });

  it('shares one lookup between concurrent requests for the same key', async () => {
    const results = await Promise.all([cache.resolve('good'), cache.resolve('good'), cache.resolve('good')]);
    assert.equal(calls.length, 1);
    assert.ok(results.every((r) => r.user.id === 2));
  });

  it('keeps entries under the SHA-256 of the key, never the key', async () => {
    await cache.resolve('good');
    const entries = (cache as unknown as { entries: Map<string, unknown> }).entries;
    assert.deepEqual([...entries.keys()], [keyHash('good')]);
    assert.match(keyHash('good'), /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify([...entries.entries()]).includes('"good"'));
  });

  it('forgets a key on request', async () => {
    await cache.resolve('good');
    cache.forget('good');
    await cache.resolve('good');
    assert.equal(calls.length, 2);
  });
});
