import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../sidecar/src/config.js';

describe('config', () => {
  it('has defaults that work on a laptop', () => {
    const c = loadConfig({});
    assert.equal(c.odooUrl, 'http://127.0.0.1:8069');
    assert.equal(c.odooCancelUrl, c.odooUrl);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 8765);
    assert.equal(c.odooDb, undefined);
    assert.equal(c.logLevel, 'warn');
    assert.deepEqual(c.allowedOrigins, ['localhost', '127.0.0.1', '[::1]']);
    assert.deepEqual(c.allowedHosts, ['localhost', '127.0.0.1', '[::1]']);
    assert.equal(c.authCacheTtlMs, 30_000);
    assert.equal(c.authNegativeTtlMs, 5_000);
    assert.ok(c.authNegativeTtlMs < c.authCacheTtlMs);
    assert.equal(c.odooMaxAnswerBytes, 2 * 1024 * 1024);
    assert.equal(c.odooMaxConcurrencyPerKey, 4);
    assert.equal(c.maxRequestBytesInFlight, 8 * 1024 * 1024);
  });

  it('reads every documented variable', () => {
    const c = loadConfig({
      ODOO_URL: 'https://erp.example.com/',
      ODOO_CANCEL_URL: 'https://erp.example.com:8072/',
      ODOO_DB: 'prod',
      HOST: '0.0.0.0',
      PORT: '9000',
      MCP_ALLOWED_ORIGINS: 'https://claude.ai, app.example.com:8443',
      MCP_ALLOWED_HOSTS: 'mcp.example.com,localhost',
      ODOO_TIMEOUT_MS: '2000',
      TOOL_CALL_TIMEOUT_MS: '5000',
      AUTH_CACHE_TTL_MS: '1000',
      AUTH_NEGATIVE_TTL_MS: '500',
      TOOLS_CACHE_TTL_MS: '7000',
      TOOLS_PAGE_SIZE: '10',
      MAX_BODY_BYTES: '2048',
      ODOO_MAX_ANSWER_BYTES: '65536',
      ODOO_MAX_CONCURRENCY_PER_KEY: '2',
      LOG_LEVEL: 'DEBUG',
    });
    assert.equal(c.odooUrl, 'https://erp.example.com');
    assert.equal(c.odooCancelUrl, 'https://erp.example.com:8072');
    assert.equal(c.odooDb, 'prod');
    assert.equal(c.port, 9000);
    assert.deepEqual(c.allowedOrigins, ['claude.ai', 'app.example.com']);
    assert.deepEqual(c.allowedHosts, ['mcp.example.com', 'localhost']);
    assert.equal(c.odooTimeoutMs, 2000);
    assert.equal(c.toolCallTimeoutMs, 5000);
    assert.equal(c.toolsPageSize, 10);
    assert.equal(c.maxBodyBytes, 2048);
    assert.equal(c.odooMaxAnswerBytes, 65536);
    assert.equal(c.odooMaxConcurrencyPerKey, 2);
    assert.equal(c.logLevel, 'debug');
  });

  it("allows Odoo's own host name behind the reverse proxy by default", () => {
    const c = loadConfig({ ODOO_URL: 'https://erp.example.com' });
    assert.deepEqual(c.allowedHosts, ['localhost', '127.0.0.1', '[::1]', 'erp.example.com']);
  });

  it('accepts * to switch a guard off explicitly', () => {
    assert.equal(loadConfig({ MCP_ALLOWED_HOSTS: '*' }).allowedHosts, '*');
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ ODOO_URL: 'not a url' }, /ODOO_URL.*not a URL/],
    [{ ODOO_URL: 'ftp://odoo' }, /ODOO_URL.*http/],
    [{ ODOO_URL: 'http://admin:secret@odoo' }, /ODOO_URL must not carry credentials/],
    [{ ODOO_CANCEL_URL: 'ftp://odoo:8072' }, /ODOO_CANCEL_URL.*http/],
    [{ PORT: 'eighty' }, /PORT="eighty" is not a whole number/],
    [{ PORT: '70000' }, /PORT=70000 must be between 0 and 65535/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL.*must be one of debug, info, warn, error, silent/],
    [{ AUTH_CACHE_TTL_MS: '-1' }, /AUTH_CACHE_TTL_MS/],
    [{ MAX_BODY_BYTES: '10' }, /MAX_BODY_BYTES=10 must be between/],
    [{ ODOO_MAX_ANSWER_BYTES: '1000' }, /ODOO_MAX_ANSWER_BYTES=1000 must be between/],
    [{ MAX_REQUEST_BYTES_IN_FLIGHT: '65536', MAX_BODY_BYTES: '131072' }, /MAX_REQUEST_BYTES_IN_FLIGHT=65536 is less than MAX_BODY_BYTES=131072/],
    [{ MCP_ALLOWED_ORIGINS: ' , ' }, /MCP_ALLOWED_ORIGINS is empty/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with a message naming the variable`, () => {
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }
});
