// A throw-away self-signed certificate for 127.0.0.1 and localhost, made by openssl for the suite's stack: the
// https servers the tests run themselves (a client's metadata document) present it, and the stack's Odoo is
// told to trust it beside the system's authorities (REQUESTS_CA_BUNDLE, the variable Odoo's HTTP library
// honours; set for this stack only). Made once per state folder, again when it is about to expire.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificate {
  cert: string;
  key: string;
  /** The system's authorities plus this certificate. */
  bundle: string;
}

const SYSTEM_AUTHORITIES = '/etc/ssl/certs/ca-certificates.crt';

export function testCertificate(dir: string): TestCertificate {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const bundle = join(dir, 'ca-bundle.pem');
  const valid = existsSync(cert) && existsSync(key)
    && spawnSync('openssl', ['x509', '-checkend', '86400', '-noout', '-in', cert]).status === 0;
  if (!valid) {
    mkdirSync(dir, { recursive: true });
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '7', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`openssl could not make the test certificate: ${made.stderr}`);
  }
  const system = existsSync(SYSTEM_AUTHORITIES) ? readFileSync(SYSTEM_AUTHORITIES, 'utf8') : '';
  writeFileSync(bundle, `${system}\n${readFileSync(cert, 'utf8')}`);
  return { cert, key, bundle };
}
