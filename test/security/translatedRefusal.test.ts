// A key refusal whose message Odoo wrote in the user's language (or with quotes, backslashes, CR/LF in it) still
// reaches the client as a 401 with a valid WWW-Authenticate: Node's setHeader throws on characters above
// U+00FF, and a raw CR/LF or quote would let Odoo's text add headers or challenge parameters.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { legacy, post } from '../support/rawMcp.js';
import { startSidecar, type RunningSidecar } from '../support/sidecarHarness.js';

const REFUSALS = {
  greek: 'Το κλειδί API είναι άκυρο ή έχει ανακληθεί.',
  chinese: 'API 密钥无效或已被撤销。',
  injection: 'refused"\r\nSet-Cookie: session=stolen\r\nX-Evil: 1',
  backslashes: 'C:\\keys\\"old" key, error="none"',
};

describe('translated and hostile refusal messages in the 401 challenge', () => {
  let odoo: http.Server;
  let sidecar: RunningSidecar;
  let message = '';

  before(async () => {
    // An Odoo that refuses every key with `message`, as the addon does in the user's language.
    odoo = http.createServer((req, res) => {
      req.resume();
      res.writeHead(401, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ contract: 1, error: { code: 'unauthorized', message } }));
    });
    await new Promise<void>((resolve) => odoo.listen(0, '127.0.0.1', resolve));
    sidecar = await startSidecar(`http://127.0.0.1:${(odoo.address() as AddressInfo).port}`, { AUTH_NEGATIVE_TTL_MS: '0' });
  });
  after(async () => {
    await sidecar.close();
    odoo.closeAllConnections();
    await new Promise((resolve) => odoo.close(resolve));
  });

  for (const [kind, text] of Object.entries(REFUSALS)) {
    it(`answers a ${kind} refusal with 401, a parseable challenge, no injected header, and the whole message in the body`, async () => {
      message = text;
      const a = await post(sidecar.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, legacy(`${kind.padEnd(8, 'k')}0`.repeat(4)));
      assert.equal(a.status, 401, a.text);
      const challenge = a.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer realm="odoo-mcp", error="invalid_token", error_description="(?:[\t !#-[\]-~]|\\[\t -~])*"$/);
      assert.equal(a.headers.get('set-cookie'), null);
      assert.equal(a.headers.get('x-evil'), null);
      assert.equal(a.json.error.message, text);
    });
  }
});
