// Floods that must cost Odoo and the sidecar's memory little: many distinct bad keys (each a refused lookup,
// remembered briefly), and one key asking for its tools or identity over and over.

import assert from 'node:assert/strict';
import { AuthError } from '../../sidecar/src/errors.js';
import { IdentityCache } from '../../sidecar/src/http/identityCache.js';
import type { Identity } from '../../sidecar/src/odoo/contract.js';
import { ALICE_KEY, OdooStandIn } from '../support/odooStandIn.js';
import { legacy, post } from '../support/rawMcp.js';
import { startSidecar } from '../support/sidecarHarness.js';

const GOOD: Identity = {
  user: { id: 2, login: 'alice', name: '' }, database: 'db', odooVersion: '18.0',
  key: { id: 11, name: 'k', scope: 'mcp', readOnly: false, allowedTools: null },
  server: { name: 'Odoo MCP' }, toolsFingerprint: 'f', runningCallsPerUser: 0,
};

describe('attacks that flood the sidecar with keys and lists', () => {
  it('keeps the identity cache bounded under a flood of distinct bad keys, and trusted keys in it', async () => {
    const asked: string[] = [];
    const cache = new IdentityCache(
      (key) => {
        asked.push(key);
        return key === 'good' ? Promise.resolve(GOOD) : Promise.reject(new AuthError('rejected', 'Invalid or missing API key'));
      },
      { ttlMs: 60_000, negativeTtlMs: 60_000, maxEntries: 100, maxRefusals: 100 },
    );
    await cache.resolve('good');
    for (let i = 0; i < 5_000; i++) await assert.rejects(cache.resolve(`bad-${i}`), AuthError);
    assert.ok(cache.size <= 200, `the cache holds ${cache.size} entries`);
    await cache.resolve('good');
    assert.equal(asked.filter((k) => k === 'good').length, 1, 'the flood pushed a trusted key out of the cache');
    // The latest refusals are still remembered: a retrying bad key costs no lookup.
    await assert.rejects(cache.resolve('bad-4999'), AuthError);
    assert.equal(asked.filter((k) => k === 'bad-4999').length, 1);
  });

  it('answers a flood of tools/list and initialize from one key with one identity check and one tool list', async () => {
    const odoo = new OdooStandIn();
    await odoo.start();
    const sidecar = await startSidecar(odoo.url);
    try {
      const list = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
      const init = { jsonrpc: '2.0', id: 2, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'flood', version: '1' } } };
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => post(sidecar.mcpUrl, i % 2 ? list : init, legacy(ALICE_KEY))));
      assert.ok(answers.every((a) => a.status === 200));
      assert.equal(odoo.counts.identity, 1);
      assert.ok(odoo.counts.tools <= 1, `${odoo.counts.tools} tool lists fetched`);
    } finally {
      await sidecar.close();
      await odoo.stop();
    }
  });
});
