import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { bearerChallenge } from '../../sidecar/src/errorMapping.js';
import { AuthError } from '../../sidecar/src/errors.js';
import { quotedString } from '../../sidecar/src/http/headerText.js';

// RFC 9110 §5.6.4: DQUOTE *( qdtext / quoted-pair ) DQUOTE, here without obs-text (printable ASCII only)
const QUOTED_STRING = /^"(?:[\t !#-[\]-~]|\\[\t -~])*"$/;

function assertSafe(value: string): void {
  assert.match(value, QUOTED_STRING);
  assert.doesNotThrow(() => validateHeaderValue('WWW-Authenticate', value));
}

describe('header text (quotedString)', () => {
  it('quotes plain ASCII as it is', () => {
    assert.equal(quotedString('Invalid or missing API key'), '"Invalid or missing API key"');
  });

  it('makes quotes and backslashes quoted-pairs, so the text cannot end the string early', () => {
    const value = quotedString('say "hi" \\ bye", error="forged');
    assertSafe(value);
    assert.equal(value, '"say \\"hi\\" \\\\ bye\\", error=\\"forged"');
  });

  it('turns CR, LF and other control characters into spaces: no header can be injected', () => {
    const value = quotedString('refused\r\nSet-Cookie: session=stolen\u0000\u007f\tend');
    assertSafe(value);
    assert.ok(!/[\r\n]/.test(value));
    assert.equal(value, '"refused  Set-Cookie: session=stolen   end"');
  });

  it("replaces a translated Odoo message's non-ASCII letters (Greek, Chinese, emoji, Latin-1) so Node can send it", () => {
    for (const message of ['Μη έγκυρο κλειδί API', 'API 密钥无效或已撤销', 'clé refusée ✋🏽']) {
      assert.throws(() => validateHeaderValue('X-Test', `"${message}"`), { code: 'ERR_INVALID_CHAR' }); // what Node does
      assertSafe(quotedString(message));
    }
    assertSafe(quotedString('Schlüssel ungültig'));
    assert.equal(quotedString('密钥 ok'), '"?? ok"');
    assert.equal(quotedString('🏽'), '"?"'); // one character, not its two UTF-16 halves
  });

  it('builds a 401 challenge whose every parameter is safe, whatever text Odoo sent', () => {
    const refused = new AuthError('rejected', 'Μη έγκυρο κλειδί "x"\r\nSet-Cookie: a=b');
    const challenge = bearerChallenge(refused);
    assert.doesNotThrow(() => validateHeaderValue('WWW-Authenticate', challenge));
    assert.match(challenge, /^Bearer realm="odoo-mcp", error="invalid_token", error_description="[^\r\n]*"$/);
    assert.ok(challenge.includes('\\"x\\"'));
    refused.oauth = { resourceMetadata: 'https://odoo.example.com/.well-known/oauth-protected-resource/mcp"', scope: 'mcp' };
    const oauth = bearerChallenge(refused);
    assert.doesNotThrow(() => validateHeaderValue('WWW-Authenticate', oauth));
    assert.match(oauth, /^Bearer resource_metadata="https:\/\/odoo\.example\.com\/\.well-known\/oauth-protected-resource\/mcp\\"", scope="mcp", error="invalid_token"/);
  });
});
