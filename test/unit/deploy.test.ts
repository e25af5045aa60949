import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
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

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  depends_on?: Record<string, unknown> | string[];
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

  it('gives nginx every variable the template uses, pointing at the odoo and sidecar services', () => {
    for (const name of templateVariables(read(TEMPLATE))) env('nginx', name);
    assert.equal(env('nginx', 'ODOO_UPSTREAM'), `odoo:${new URL(env('sidecar', 'ODOO_URL')).port}`);
    assert.equal(env('nginx', 'SIDECAR_UPSTREAM'), `sidecar:${env('sidecar', 'PORT')}`);
  });

  it('publishes only the proxy port', () => {
    const published = Object.entries(services).filter(([, s]) => s.ports?.length).map(([name]) => name);
    assert.deepEqual(published, ['nginx']);
    const [mapping] = nginx.ports!.map(interpolate);
    assert.equal(mapping, `8069:${env('nginx', 'NGINX_PORT')}`);
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
    const substituted = new Set([...stackSh.matchAll(/s\|\\\$\{([A-Z_]+)\}\|/g)].map((m) => m[1]));
    assert.deepEqual([...substituted].sort(), [...templateVariables(template)].sort());
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

  it('sends everything else, websocket included, to Odoo', () => {
    assert.match(locationBlock(template, '/'), /proxy_pass http:\/\/odoo;/);
    const ws = locationBlock(template, '/websocket');
    assert.match(ws, /proxy_pass http:\/\/odoo;/);
    assert.match(ws, /proxy_set_header Upgrade\s+\$http_upgrade;/);
  });
});

describe('the optional TLS server lines of the nginx config', function () {
  this.timeout(20000);

  it('are accepted by nginx -t once uncommented, with a certificate', async function () {
    if (!NGINX) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'llm-mcp-nginx-tls-'));
    try {
      await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=odoo.example.com',
        '-keyout', join(dir, 'privkey.pem'), '-out', join(dir, 'fullchain.pem')]);
      const { stdout: routes } = await run('bash', [join(root, 'scripts/stack.sh'), 'nginx-config']);
      assert.match(routes, /#tls listen 443 ssl/);
      const tls = routes.replace(/^(\s*)#tls /gm, '$1').replaceAll('/etc/letsencrypt/live/odoo.example.com', dir);
      writeFileSync(join(dir, 'routes.conf'), tls);
      writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid; error_log ${dir}/error.log;
        events {} http { access_log off; include ${dir}/routes.conf; }`);
      await run(NGINX, ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('nginx config as the docker-compose nginx service renders it', function () {
  this.timeout(20000);

  it('is accepted by nginx -t (service names resolved as on the compose network)', async function () {
    if (!NGINX || process.getuid?.() !== 0) this.skip(); // needs root for a private /etc/hosts
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
    const env = compose.services.nginx?.environment ?? {};
    // What the image's entrypoint does: envsubst of the variables defined in the container's environment.
    const rendered = read(TEMPLATE).replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (m, name: string) => env[name] ?? m);
    assert.doesNotMatch(rendered.replace(/^\s*#.*$/gm, ''), /\$\{[A-Z]/, 'a template variable is left unset');
    const dir = mkdtempSync(join(tmpdir(), 'llm-mcp-compose-nginx-'));
    try {
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
