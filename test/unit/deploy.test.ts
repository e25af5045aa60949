import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { DEFAULTS } from '../../sidecar/src/config.js';
import { NGINX, startProxy, type RunningProxy } from '../support/nginxProxy.js';

// The deployment files: docker-compose.yml, the one nginx configuration (deploy/nginx/llm_mcp.conf.template),
// sidecar/Dockerfile and scripts/stack.sh must agree on service names, ports, mounts and routes. No Docker
// engine runs on our machines, so the compose file is checked by parsing it; the nginx routes are checked by
// running the real nginx with the configuration stack.sh renders, in front of two small HTTP servers
// (test/support/nginxProxy.ts; the attacks on the public port are in test/security/proxy.test.ts).

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const TEMPLATE = 'deploy/nginx/llm_mcp.conf.template';
const TLS_TEMPLATE = 'deploy/nginx/llm_mcp_tls.inc.template';
const TLS_ENVSH = 'deploy/nginx/llm-mcp-tls.envsh';

/** A throw-away self-signed certificate for 127.0.0.1 and localhost, in `dir`. */
async function selfSigned(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'fullchain.pem');
  const key = join(dir, 'privkey.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert]);
  return { cert, key };
}

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  depends_on?: Record<string, unknown> | string[];
  deploy?: { replicas?: string | number };
  container_name?: string;
}

/** Compose's own interpolation for the forms we use: `$$` → `$`, `${VAR:-default}` → default. */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{(\w+):-([^}]*)\}/g, (m, _name, dflt: string) => (m === '$$' ? '$' : dflt));
}

/** Variables the template expects from its environment (upper-case `${NAME}`; nginx's own are lower case). */
function templateVariables(text: string): Set<string> {
  const body = text.replace(/^\s*#.*$/gm, '');
  return new Set([...body.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)].map((m) => m[1] ?? ''));
}

/** The body of the first `location <match> { … }` block (our locations have no nested blocks). */
function locationBlock(conf: string, match: string): string {
  const start = conf.indexOf(`location ${match} {`);
  assert.notEqual(start, -1, `no "location ${match}" in the nginx config`);
  return conf.slice(start, conf.indexOf('}', start));
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
  const services = compose.services;
  const service = (name: string): Service => {
    const found = services[name];
    assert.ok(found, `no service ${name}`);
    return found;
  };
  const [, odoo, sidecar, nginx] = ['db', 'odoo', 'sidecar', 'nginx'].map(service) as [Service, Service, Service, Service];
  /** An environment variable of a service, which must be set. */
  const env = (name: string, variable: string): string => {
    const value = service(name).environment?.[variable];
    assert.ok(value, `service ${name} lacks ${variable}`);
    return value;
  };

  it('has the four services: db, odoo, sidecar, nginx', () => {
    assert.deepEqual(Object.keys(services).sort(), ['db', 'nginx', 'odoo', 'sidecar']);
  });

  it('runs the official odoo:18 image with odoo_addon mounted as its extra addons path', () => {
    assert.equal(odoo.image, 'odoo:18');
    assert.ok(odoo.volumes?.some((v) => /^\.\/odoo_addon:\/mnt\/extra-addons(:ro)?$/.test(v)));
  });

  it('points Odoo at the db service and serves exactly one database by -d, the one the sidecar expects', () => {
    assert.equal(env('odoo', 'HOST'), 'db');
    assert.equal(env('odoo', 'USER'), env('db', 'POSTGRES_USER'));
    assert.equal(env('odoo', 'PASSWORD'), env('db', 'POSTGRES_PASSWORD'));
    const command = odoo.command!.map(interpolate);
    const db = command[command.indexOf('-d') + 1];
    assert.equal(db, env('sidecar', 'ODOO_DB'));
    // docs/contract.md: -d alone (a db-filter makes Odoo list the databases on every session-less request)
    assert.ok(!command.some((a) => a.startsWith('--db-filter')), `command ${command.join(' ')} has a --db-filter`);
    assert.ok(command.includes('--proxy-mode'), 'Odoo behind nginx needs --proxy-mode');
  });

  /** The value of Odoo's `--name=value` option in the compose command. */
  const odooOption = (name: string): string => {
    const arg = odoo.command!.map(interpolate).find((a) => a.startsWith(`--${name}=`));
    assert.ok(arg, `the odoo command lacks --${name}=…: ${odoo.command!.join(' ')}`);
    return arg.slice(name.length + 3);
  };

  it('runs Odoo prefork (workers) with its gevent port exposed and routed by nginx for /websocket', () => {
    const workers = Number(odooOption('workers'));
    assert.ok(workers >= 1, `--workers=${workers}: compose runs Odoo prefork`);
    const gevent = odooOption('gevent-port');
    assert.ok(odoo.expose?.includes(gevent), `odoo does not expose its gevent port ${gevent}`);
    assert.equal(env('nginx', 'ODOO_WEBSOCKET_UPSTREAM'), `odoo:${gevent}`);
    assert.notEqual(gevent, new URL(env('sidecar', 'ODOO_URL')).port, 'the gevent port is not the HTTP port');
  });

  it("sizes Odoo's workers so a tool call ends by the sidecar's timeout and every pool fits PostgreSQL", () => {
    // a worker killed at limit-time-real would cut the call before the sidecar could say Odoo did not answer
    const toolCallS = Number(DEFAULTS.TOOL_CALL_TIMEOUT_MS) / 1000;
    assert.ok(Number(odooOption('limit-time-real')) > toolCallS, `limit-time-real <= the sidecar's ${toolCallS} s`);
    assert.ok(Number(odooOption('limit-time-cpu')) >= toolCallS);
    assert.ok(Number(odooOption('limit-memory-soft')) < Number(odooOption('limit-memory-hard')));
    // each process (workers, the cron worker, the gevent process) has a pool of db_maxconn; postgres:15 allows 100
    const processes = Number(odooOption('workers')) + Number(odooOption('max-cron-threads')) + 1;
    assert.ok(processes * Number(odooOption('db_maxconn')) <= 90, `${processes} pools of ${odooOption('db_maxconn')}`);
  });

  it('runs several sidecar replicas, none with a fixed name or a published port', () => {
    const replicas = Number(interpolate(String(sidecar.deploy?.replicas ?? 1)));
    assert.ok(replicas >= 2, `sidecar replicas: ${replicas}`);
    assert.equal(sidecar.container_name, undefined, 'a container_name allows one replica only');
    assert.equal(sidecar.ports, undefined);
  });

  it('builds the sidecar from sidecar/Dockerfile and points it at the odoo service', () => {
    assert.deepEqual(sidecar.build, { context: '.', dockerfile: 'sidecar/Dockerfile' });
    assert.ok(existsSync(join(root, 'sidecar/Dockerfile')));
    const odooUrl = new URL(env('sidecar', 'ODOO_URL'));
    assert.equal(odooUrl.hostname, 'odoo');
    assert.ok(odoo.expose?.includes(odooUrl.port), `odoo does not expose ${odooUrl.port}`);
    assert.equal(env('sidecar', 'HOST'), '0.0.0.0', 'in a container the sidecar must listen beyond loopback');
    assert.ok(sidecar.expose?.includes(env('sidecar', 'PORT')));
  });

  it('allows the host names users reach the proxy by', () => {
    const hosts = interpolate(env('sidecar', 'MCP_ALLOWED_HOSTS')).split(',');
    assert.ok(hosts.includes('localhost') && hosts.includes('127.0.0.1'), hosts.join(','));
  });

  it('mounts the one nginx config as the image template that replaces its default server', () => {
    assert.ok(nginx.image?.startsWith('nginx:'));
    assert.ok(
      nginx.volumes?.includes(`./${TEMPLATE}:/etc/nginx/templates/default.conf.template:ro`),
      String(nginx.volumes),
    );
  });

  it('gives nginx every variable the templates use, pointing at the odoo and sidecar services', () => {
    // NGINX_TLS_INCLUDE is exported by llm-mcp-tls.envsh, which the image's entrypoint sources first
    for (const name of [...templateVariables(read(TEMPLATE)), ...templateVariables(read(TLS_TEMPLATE))]) {
      if (name === 'NGINX_TLS_INCLUDE') assert.match(read(TLS_ENVSH), /export NGINX_TLS_INCLUDE=/);
      else assert.ok(name in (service('nginx').environment ?? {}), `service nginx lacks ${name}`);
    }
    assert.equal(env('nginx', 'ODOO_UPSTREAM'), `odoo:${new URL(env('sidecar', 'ODOO_URL')).port}`);
    assert.equal(env('nginx', 'SIDECAR_UPSTREAM'), `sidecar:${env('sidecar', 'PORT')}`);
  });

  it('publishes only the proxy ports, http and https', () => {
    const published = Object.entries(services).filter(([, s]) => s.ports?.length).map(([name]) => name);
    assert.deepEqual(published, ['nginx']);
    assert.deepEqual(nginx.ports!.map(interpolate), [`8069:${env('nginx', 'NGINX_PORT')}`, `443:${env('nginx', 'NGINX_TLS_PORT')}`]);
  });

  it('mounts the TLS template, its entrypoint script, and the certificate (or /dev/null when none is set)', () => {
    const volumes = nginx.volumes!.map(interpolate);
    assert.ok(volumes.includes(`./${TLS_TEMPLATE}:/etc/nginx/llm_mcp_tls.inc.template:ro`), String(volumes));
    assert.ok(volumes.includes(`./${TLS_ENVSH}:/docker-entrypoint.d/15-llm-mcp-tls.envsh:ro`), String(volumes));
    assert.ok(volumes.includes(`/dev/null:${env('nginx', 'NGINX_TLS_CERT')}:ro`), String(volumes));
    assert.ok(volumes.includes(`/dev/null:${env('nginx', 'NGINX_TLS_KEY')}:ro`), String(volumes));
    // the image sources *.envsh only when executable
    assert.ok((statSync(join(root, TLS_ENVSH)).mode & 0o111) !== 0, `${TLS_ENVSH} is not executable`);
  });
});

describe('sidecar/Dockerfile', () => {
  const dockerfile = read('sidecar/Dockerfile');

  const stages = dockerfile.split(/^FROM /m).slice(1);
  const final = stages[stages.length - 1] ?? '';

  it('runs as a non-root user on a slim Node 20 image', () => {
    assert.match(final, /^node:20-(slim|alpine)/);
    assert.match(final, /^USER node$/m);
  });

  it('installs only production dependencies in the runtime image', () => {
    assert.match(final, /npm ci --omit=dev/);
  });

  it('builds and runs the same bundle, with the same heap cap, as npm start', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    const bundleStep = /^RUN node_modules\/\.bin\/(esbuild .*)$/m.exec(dockerfile.replace(/\\\n\s*/g, ''))?.[1] ?? '';
    const flags = (command: string) => command.split(/\s+/).filter((w) => w !== '--log-level=warning');
    assert.deepEqual(flags(bundleStep), flags(scripts.build!), 'the Dockerfile bundles differently from `npm run build`');
    const outfile = /--outfile=(\S+)/.exec(scripts.build!)?.[1] ?? '';
    assert.match(scripts.start!, new RegExp(`^npm run --silent build && node --max-old-space-size=\\$\\{SIDECAR_MAX_OLD_SPACE_MB:-(\\d+)\\} ${outfile}$`));
    const heap = /SIDECAR_MAX_OLD_SPACE_MB:-(\d+)/.exec(scripts.start!)?.[1];
    assert.match(dockerfile, new RegExp(`^CMD \\["node", "--max-old-space-size=${heap}", "${outfile}"\\]$`, 'm'));
  });

  it('is built from a context that leaves out secrets, state and node_modules', () => {
    const ignore = read('.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'));
    assert.equal(ignore[0], '**');
    assert.ok(ignore.slice(1).every((l) => l.startsWith('!')), 'only re-includes after **');
  });
});

describe('sidecar/Dockerfile build steps, run without Docker', function () {
  this.timeout(180_000);
  let dir: string;
  let sidecar: ChildProcess | undefined;
  after(() => {
    sidecar?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('bundles the sidecar and starts it with production dependencies only', async () => {
    const dockerfile = read('sidecar/Dockerfile').replace(/\\\n\s*/g, '');
    const bundle = /^RUN (node_modules\/\.bin\/esbuild .*)$/m.exec(dockerfile)?.[1];
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    assert.ok(bundle && cmd, 'no esbuild RUN step or CMD in the Dockerfile');
    dir = mkdtempSync(join(tmpdir(), 'llm-mcp-docker-'));
    const build = join(dir, 'build');
    const app = join(dir, 'app');
    // build stage: the repository's sources and (already installed) dev dependencies
    mkdirSync(join(build, 'sidecar'), { recursive: true });
    await run('cp', ['-r', join(root, 'sidecar/src'), join(build, 'sidecar/src')]);
    await run('ln', ['-s', join(root, 'node_modules'), join(build, 'node_modules')]);
    await run('sh', ['-c', bundle], { cwd: build });
    // runtime stage: package files, production dependencies, the bundle
    mkdirSync(join(app, 'sidecar/dist'), { recursive: true });
    for (const f of ['package.json', 'package-lock.json']) await run('cp', [join(root, f), join(app, f)]);
    await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], { cwd: app });
    assert.ok(!existsSync(join(app, 'node_modules/tsx')), 'tsx (a dev dependency) was installed');
    const out = /--outfile=(\S+)/.exec(bundle)?.[1] ?? '';
    await run('cp', [join(build, out), join(app, out)]);
    const [command, ...args] = JSON.parse(cmd) as string[];
    assert.equal(command, 'node');
    const port = await new Promise<number>((resolve) => {
      const probe = http.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    sidecar = spawn(process.execPath, args, { cwd: app, stdio: 'ignore',
      env: { PATH: process.env.PATH, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port) } });
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200, 'the bundled sidecar did not answer /healthz');
  });
});

describe('nginx config shared by scripts/stack.sh and docker-compose.yml', () => {
  const template = read(TEMPLATE);
  const stackSh = read('scripts/stack.sh');

  it('is the file stack.sh renders, with exactly the variables stack.sh substitutes', () => {
    assert.ok(stackSh.includes(`$REPO/${TEMPLATE}`));
    assert.ok(stackSh.includes(`$REPO/${TLS_TEMPLATE}`));
    // sed's s|\${NAME}|…| and, for the line written once per sidecar, awk's sub(/\$\{NAME\}/, …)
    const substituted = new Set([...stackSh.matchAll(/s\|\\\$\{([A-Z_]+)\}\||sub\(\/\\\$\\\{([A-Z_]+)\\\}\//g)]
      .map((m) => m[1] ?? m[2]));
    const expected = new Set([...templateVariables(template), ...templateVariables(read(TLS_TEMPLATE))]);
    assert.deepEqual([...substituted].sort(), [...expected].sort());
  });

  it('sends /mcp to the sidecar over HTTP/1.1, unbuffered, with a long read timeout and the client Host', () => {
    for (const match of ['= /mcp', '^~ /mcp/']) {
      const block = locationBlock(template, match);
      assert.match(block, /proxy_pass http:\/\/llm_mcp_sidecar;/);
      assert.match(block, /proxy_http_version 1\.1;/);
      assert.match(block, /proxy_buffering off;/);
      assert.match(block, /proxy_set_header Host\s+\$http_host;/);
      assert.match(block, /proxy_set_header X-Forwarded-For\s+\$proxy_add_x_forwarded_for;/);
      assert.match(block, /proxy_set_header X-Forwarded-Proto\s+\$scheme;/);
      const timeout = /proxy_read_timeout (\d+)s;/.exec(block);
      assert.ok(timeout && Number(timeout[1]) >= 300, 'read timeout under 5 minutes');
    }
  });

  it('keeps idle HTTP/1.1 connections to the sidecars, closing them before the sidecar would', () => {
    const upstream = /^upstream llm_mcp_sidecar \{$([\s\S]*?)^\}$/m.exec(template)?.[1] ?? '';
    assert.match(upstream, /^\s*server \$\{SIDECAR_UPSTREAM\} max_fails=\d+ fail_timeout=\d+s;$/m, 'passive health check');
    assert.match(upstream, /^\s*keepalive \d+;$/m);
    const nginxIdle = Number(/keepalive_timeout (\d+)s;/.exec(upstream)?.[1]);
    const sidecarIdle = Number(/keepAliveTimeout = ([\d_]+);/.exec(read('sidecar/src/main.ts'))?.[1]?.replace(/_/g, '')) / 1000;
    assert.ok(nginxIdle > 0 && nginxIdle < sidecarIdle, `nginx keeps idle connections ${nginxIdle} s, the sidecar ${sidecarIdle} s`);
    for (const match of ['= /mcp', '^~ /mcp/']) {
      const block = locationBlock(template, match);
      assert.match(block, /proxy_set_header Connection "";/, 'without it nginx sends Connection: close');
    }
  });

  it('retries on another sidecar only what never reached one, and never sends a POST twice', () => {
    for (const match of ['= /mcp', '^~ /mcp/']) {
      const block = locationBlock(template, match);
      const retry = /^\s*proxy_next_upstream ([^;]+);/m.exec(block)?.[1]?.split(/\s+/) ?? [];
      assert.deepEqual(retry.sort(), ['error', 'timeout'], `${match}: proxy_next_upstream ${retry.join(' ')}`);
      assert.ok(!/non_idempotent/.test(block.replace(/#.*$/gm, '')), `${match} re-sends POSTs`);
      assert.match(block, /proxy_next_upstream_tries \d+;/);
      assert.match(block, /proxy_next_upstream_timeout \d+s;/);
    }
  });

  it('writes one upstream server per sidecar (STACK_SIDECARS) and routes /websocket to the gevent port in prefork', async () => {
    const render = (env: Record<string, string>) => run('bash', [join(root, 'scripts/stack.sh'), 'nginx-config'],
      { env: { ...process.env, STACK_STATE_DIR: '/nonexistent', STACK_ODOO_PORT: '18069', STACK_SIDECAR_PORT: '8765', ...env } })
      .then((r) => r.stdout);
    const servers = (conf: string, name: string) =>
      [...(new RegExp(`^upstream ${name} \\{$([\\s\\S]*?)^\\}$`, 'm').exec(conf)?.[1] ?? '').matchAll(/^\s*server ([^\s;]+)/gm)].map((m) => m[1]);
    const single = await render({});
    assert.deepEqual(servers(single, 'llm_mcp_sidecar'), ['127.0.0.1:8765']);
    assert.deepEqual(servers(single, 'odoo_websocket'), ['127.0.0.1:18069'], 'threaded Odoo serves /websocket itself');
    const scaled = await render({ STACK_SIDECARS: '3', STACK_ODOO_WORKERS: '2' });
    assert.deepEqual(servers(scaled, 'llm_mcp_sidecar'), ['127.0.0.1:8765', '127.0.0.1:8766', '127.0.0.1:8767']);
    assert.deepEqual(servers(scaled, 'odoo_websocket'), ['127.0.0.1:18070']);
    assert.deepEqual(servers(scaled, 'odoo'), ['127.0.0.1:18069']);
    for (const bad of [{ STACK_SIDECARS: '0' }, { STACK_SIDECARS: 'two' }, { STACK_ODOO_WORKERS: '-1' }] as Record<string, string>[]) {
      await assert.rejects(render(bad), /STACK_(SIDECARS|ODOO_WORKERS) must be a number/, JSON.stringify(bad));
    }
  });

  it('sends everything else, websocket included, to Odoo', () => {
    assert.match(locationBlock(template, '/'), /proxy_pass http:\/\/odoo;/);
    const ws = locationBlock(template, '/websocket');
    assert.match(ws, /proxy_pass http:\/\/odoo_websocket;/);
    assert.match(ws, /proxy_set_header Upgrade\s+\$http_upgrade;/);
  });
});

describe('the optional TLS of the nginx config (STACK_TLS_CERT / STACK_TLS_KEY)', function () {
  this.timeout(30000);
  let dir: string;
  let tls: { cert: string; key: string };
  let proxy: RunningProxy | undefined;

  before(async function () {
    if (!NGINX) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'llm-mcp-nginx-tls-'));
    tls = await selfSigned(dir);
  });
  after(async () => {
    await proxy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders nothing without a certificate, and https, a redirect and HSTS with one', async () => {
    const stack = (env: Record<string, string>) => run('bash', [join(root, 'scripts/stack.sh'), 'nginx-tls-config'],
      { env: { ...process.env, ...env } }).then((r) => r.stdout);
    assert.doesNotMatch((await stack({})).replace(/^\s*#.*$/gm, ''), /\S/, 'TLS lines without a certificate');
    const lines = await stack({ STACK_TLS_CERT: tls.cert, STACK_TLS_KEY: tls.key, STACK_TLS_PORT: '443' });
    assert.match(lines, /^listen 127\.0\.0\.1:443 ssl http2;$/m);
    assert.ok(lines.includes(`ssl_certificate     ${tls.cert};`));
    assert.match(lines, /return 308 https:\/\/\$host\$request_uri;/); // no port in the redirect on 443
    assert.match(lines, /add_header Strict-Transport-Security "max-age=\d+" always;/);
    await assert.rejects(run('bash', [join(root, 'scripts/stack.sh'), 'nginx-tls-config'],
      { env: { ...process.env, STACK_TLS_CERT: tls.cert } }), /set both STACK_TLS_CERT and STACK_TLS_KEY/);
  });

  it('serves https with the certificate (curl --cacert), redirects http to it, sends HSTS and X-Forwarded-Proto https', async () => {
    const running = await startProxy({ odoo: (_req, res) => res.end('odoo'), sidecar: (_req, res) => res.end('sidecar') }, { tls });
    proxy = running;
    const { stdout } = await run('curl', ['-sS', '--cacert', tls.cert, '-D', '-', `${running.tlsUrl}/web/health`]);
    assert.match(stdout, /^HTTP\/2 200/m);
    assert.match(stdout, /^strict-transport-security: max-age=31536000/im);
    assert.match(stdout, /odoo$/);
    assert.equal(running.seen.at(-1)?.headers['x-forwarded-proto'], 'https');
    // the sidecar is reached over https as well
    const mcp = await run('curl', ['-sS', '--cacert', tls.cert, '-X', 'POST', '--data', '{}', `${running.tlsUrl}/mcp`]);
    assert.equal(mcp.stdout, 'sidecar');
    // plain http: only the way to https, for every path (an MCP POST keeps its method with 308)
    for (const path of ['/mcp', '/web/login?redirect=%2Fodoo', '/.well-known/oauth-authorization-server']) {
      const seen = running.seen.length;
      const res = await fetch(`${running.url}${path}`, { redirect: 'manual', method: path === '/mcp' ? 'POST' : 'GET' });
      assert.equal(res.status, 308, path);
      assert.equal(res.headers.get('location'), `https://127.0.0.1:${running.tlsPort}${path}`);
      assert.equal(running.seen.length, seen, `plain http reached an upstream: ${path}`);
    }
    // and a client that does not trust the certificate is refused by curl, as it should be
    await assert.rejects(run('curl', ['-sS', `${running.tlsUrl}/web/health`]), /certificate/i);
  });
});

describe('nginx config as the docker-compose nginx service renders it', function () {
  this.timeout(20000);

  for (const withTls of [false, true]) {
    it(`is accepted by nginx -t ${withTls ? 'with a certificate mounted (https)' : 'without a certificate (plain http)'} (service names resolved as on the compose network)`, async function () {
      if (!NGINX || process.getuid?.() !== 0) this.skip(); // needs root for a private /etc/hosts
      const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
      const env = Object.fromEntries(Object.entries(compose.services.nginx?.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
      const dir = mkdtempSync(join(tmpdir(), 'llm-mcp-compose-nginx-'));
      try {
        // What the image's entrypoint does: first llm-mcp-tls.envsh (sourced; its container paths moved into dir),
        // then envsubst of the variables defined in the container's environment, NGINX_TLS_INCLUDE included.
        const certs = withTls ? await selfSigned(dir) : { cert: '/dev/null', key: '/dev/null' };
        const script = read(TLS_ENVSH).replace(/^out=.*$/m, `out=${dir}/llm_mcp_tls.inc`)
          .replace('/etc/nginx/llm_mcp_tls.inc.template', join(root, TLS_TEMPLATE));
        writeFileSync(join(dir, 'envsh'), script);
        const { stdout } = await run('sh', ['-c', `. ${dir}/envsh && echo "NGINX_TLS_INCLUDE=$NGINX_TLS_INCLUDE"`],
          { env: { ...process.env, ...env, NGINX_TLS_CERT: certs.cert, NGINX_TLS_KEY: certs.key } });
        assert.match(stdout, withTls ? /https on port 443/ : /plain http only/);
        const vars: Record<string, string> = { ...env, NGINX_TLS_INCLUDE: /NGINX_TLS_INCLUDE=(\S+)/.exec(stdout)?.[1] ?? '' };
        const rendered = read(TEMPLATE).replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (m, name: string) => vars[name] ?? m);
        assert.doesNotMatch(rendered.replace(/^\s*#.*$/gm, ''), /\$\{[A-Z]/, 'a template variable is left unset');
        const tlsLines = readFileSync(join(dir, 'llm_mcp_tls.inc'), 'utf8');
        if (withTls) assert.match(tlsLines, /^listen 443 ssl http2;$/m);
        else assert.doesNotMatch(tlsLines.replace(/^\s*#.*$/gm, ''), /\S/);
        writeFileSync(join(dir, 'default.conf'), rendered);
        writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid; error_log ${dir}/error.log;
          events {} http { access_log off; include ${dir}/default.conf; }`);
        writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost odoo sidecar db\n');
        const probe = await run('unshare', ['--mount', 'true']).then(() => true, () => false);
        if (!probe) this.skip(); // no mount namespaces here
        await run('unshare', ['--mount', 'sh', '-c',
          `mount --bind ${dir}/hosts /etc/hosts && ${NGINX} -t -q -p ${dir} -c ${dir}/nginx.conf -e ${dir}/error.log`]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('nginx running the configuration stack.sh renders', function () {
  this.timeout(20000);
  let proxy: RunningProxy;

  before(async function () {
    if (!NGINX) this.skip(); // .ci/run installs nginx; a developer machine without it cannot run this block
    proxy = await startProxy({
      odoo: (_req, res) => res.end('odoo'),
      // The sidecar stand-in answers with an event stream whose second event comes 1.5 s after the first: only
      // an unbuffered proxy lets the client read the first one before the stream ends.
      sidecar: (req, res) => {
        if (req.headers['x-test-stream'] !== '1') return void res.end('sidecar');
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('data: first\n\n');
        setTimeout(() => res.end('data: second\n\n'), 1500);
      },
    });
  });

  after(async () => proxy?.close());

  it('routes /mcp to the sidecar with the client Host and X-Forwarded-* headers', async () => {
    proxy.seen.length = 0;
    const res = await fetch(`${proxy.url}/mcp`, { method: 'POST', body: '{}',
      headers: { 'Content-Type': 'application/json' } });
    assert.equal(await res.text(), 'sidecar');
    const seen = proxy.seen;
    assert.equal(seen[0]?.who, 'sidecar');
    assert.equal(seen[0].url, '/mcp');
    assert.equal(seen[0].headers.host, `127.0.0.1:${proxy.port}`);
    assert.equal(seen[0].headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen[0].headers['x-forwarded-proto'], 'http');
  });

  it('streams events from the sidecar without buffering them', async () => {
    const started = Date.now();
    const res = await fetch(`${proxy.url}/mcp`, { method: 'POST', body: '{}',
      headers: { 'X-Test-Stream': '1' } });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const firstAfter = Date.now() - started;
    assert.match(first, /data: first/);
    assert.ok(firstAfter < 1000, `first event arrived after ${firstAfter} ms: the proxy buffered the stream`);
    while (!(await reader.read()).done);
  });

  it('routes the OAuth metadata and sign-in paths to Odoo with the client Host', async () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-authorization-server',
      '/llm_mcp_oauth/authorize?client_id=x', '/llm_mcp_oauth/token']) {
      proxy.seen.length = 0;
      const res = await fetch(`${proxy.url}${path}`);
      assert.equal(await res.text(), 'odoo', path);
      assert.equal(proxy.seen[0]?.who, 'odoo', path);
      assert.equal(proxy.seen[0].url, path);
      assert.equal(proxy.seen[0].headers.host, `127.0.0.1:${proxy.port}`);
    }
  });

  it('routes Odoo paths, and paths that only start like /mcp, to Odoo', async () => {
    for (const path of ['/odoo', '/web/login', '/mcpx', '/jsonrpc']) {
      proxy.seen.length = 0;
      const res = await fetch(`${proxy.url}${path}`);
      assert.equal(await res.text(), 'odoo', path);
      assert.equal(proxy.seen[0]?.who, 'odoo', path);
    }
  });
});

describe('nginx in front of several sidecars (STACK_SIDECARS)', function () {
  this.timeout(20000);
  let proxy: RunningProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });
  const post = (url: string, body = '{"jsonrpc":"2.0","id":1,"method":"tools/call"}') =>
    fetch(`${url}/mcp`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });

  before(function () {
    if (!NGINX) this.skip();
  });

  it('spreads requests over the replicas, reusing its connections to them', async () => {
    const connections = [0, 0];
    const running = await startProxy({ odoo: (_req, res) => res.end('odoo'), sidecar: [0, 1].map((i) => (req, res) => {
      const socket = req.socket as typeof req.socket & { counted?: boolean };
      if (!socket.counted) {
        socket.counted = true;
        connections[i] = (connections[i] ?? 0) + 1;
      }
      res.end(`sidecar ${i}`);
    }) });
    proxy = running;
    const answers: string[] = [];
    for (let i = 0; i < 40; i++) answers.push(await (await post(running.url)).text());
    const by = (i: number) => answers.filter((a) => a === `sidecar ${i}`).length;
    assert.deepEqual([by(0), by(1)], [20, 20], 'round robin');
    // keep-alive: 20 requests each over a handful of connections, not one connection per request
    assert.ok(connections.every((n) => n >= 1 && n <= 4), `connections opened: ${connections.join(', ')}`);
    assert.ok(running.seen.every((s) => s.headers.connection !== 'close'), 'nginx asked the sidecar to close');
  });

  it('sends every request to the replica that is up when the other refuses connections, failing none', async () => {
    const running = await startProxy({ odoo: (_req, res) => res.end('odoo'), sidecar: ['down', (_req, res) => res.end('alive')] });
    proxy = running;
    const answers = await Promise.all(Array.from({ length: 30 }, () => post(running.url).then(async (r) => `${r.status} ${await r.text()}`)));
    assert.deepEqual([...new Set(answers)], ['200 alive']);
    assert.equal(running.seen.filter((s) => s.replica === 1).length, 30);
  });

  it('never sends a POST that reached a replica to another one: the client gets the JSON 502', async () => {
    // replica 0 reads the whole request, then dies without answering (a sidecar killed mid-call)
    const running = await startProxy({ odoo: (_req, res) => res.end('odoo'), sidecar: [
      (req) => req.socket.destroy(),
      (_req, res) => res.end('second'),
    ] });
    proxy = running;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await post(running.url, `{"jsonrpc":"2.0","id":${i},"method":"tools/call"}`);
      statuses.push(res.status);
      if (res.status === 502) assert.match(await res.text(), /"jsonrpc": "2.0".*not available right now/);
      else assert.equal(await res.text(), 'second');
    }
    // each body reached exactly one replica: none that replica 0 saw was sent again to replica 1
    const bodies = running.seen.filter((s) => s.who === 'sidecar');
    assert.equal(bodies.length, 6, `${bodies.length} requests reached a sidecar for 6 sent`);
    const failed = statuses.filter((s) => s === 502).length;
    assert.ok(failed >= 1, 'replica 0 got no request');
    assert.equal(bodies.filter((s) => s.replica === 0).length, failed);
  });
});
