// TEST CODE ONLY. Runs the real nginx with the routes `scripts/stack.sh` renders from
// deploy/nginx/llm_mcp.conf.template, in front of two small HTTP servers standing in for Odoo and the sidecar
// (or in front of given upstream ports), and records every request that reaches an upstream. Requests can be
// sent byte for byte (`rawRequest`), since fetch would normalise the paths an attacker would not.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

/** The nginx binary, when this machine has one (.ci/run installs it). */
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

export interface Seen {
  who: 'odoo' | 'sidecar';
  /** Which sidecar replica (0-based) saw it, when the proxy runs several. */
  replica?: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
}

export type Upstream = (req: http.IncomingMessage, res: http.ServerResponse) => void;
/** A sidecar replica: a handler, or 'down' (its port is reserved and closed again: nothing listens there). */
export type Replica = Upstream | 'down';

export interface RunningProxy {
  port: number;
  url: string;
  /** With `tls`: the https port and URL (plain http on `port` then only redirects). */
  tlsPort?: number;
  tlsUrl?: string;
  /** Requests that reached the Odoo or sidecar stand-in servers (not filled for given upstream ports). */
  seen: Seen[];
  close(): Promise<void>;
}

export async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const probe = http.createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function recording(who: Seen['who'], seen: Seen[], answer: Upstream, replica?: number): http.Server {
  return http.createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => (bodyBytes += c.length));
    req.on('end', () => {
      seen.push({ who, ...(replica === undefined ? {} : { replica }), method: req.method ?? '', url: req.url ?? '',
        headers: req.headers, bodyBytes });
      answer(req, res);
    });
  });
}

/**
 * Listens with each server on consecutive ports (what STACK_SIDECARS expects from STACK_SIDECAR_PORT); a null
 * server's port is only reserved, then freed. Returns the first port.
 */
async function listenConsecutive(servers: (http.Server | null)[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    const held: http.Server[] = [];
    const bound = await (async () => {
      for (let i = 0; i < servers.length; i++) {
        const server = servers[i] ?? http.createServer();
        const ok = await new Promise<boolean>((resolve) => {
          server.once('error', () => resolve(false));
          server.listen(base + i, '127.0.0.1', () => resolve(true));
        });
        if (!ok) return false;
        held.push(server);
      }
      return true;
    })();
    const closeHeld = (which: http.Server[]) => Promise.all(which.map((s) => new Promise((r) => s.close(r))));
    if (bound) {
      await closeHeld(held.filter((_s, i) => servers[i] === null));
      return base;
    }
    await closeHeld(held);
  }
  throw new Error('no consecutive free ports for the sidecar replicas');
}

/**
 * Starts nginx with the stack's rendered routes. Upstreams are either handlers (run as recording stand-in
 * servers) or the ports of servers the caller runs itself.
 */
export async function startProxy(upstreams: { odoo: Upstream | number; sidecar: Upstream | number | Replica[] },
  options: { tls?: { cert: string; key: string } } = {}): Promise<RunningProxy> {
  if (!NGINX) throw new Error('nginx is not installed');
  const seen: Seen[] = [];
  const servers: http.Server[] = [];
  const portOf = async (who: Seen['who'], upstream: Upstream | number) => {
    if (typeof upstream === 'number') return upstream;
    const server = recording(who, seen, upstream);
    servers.push(server);
    return listen(server);
  };
  const odooPort = await portOf('odoo', upstreams.odoo);
  let sidecarPort: number;
  let sidecars = 1;
  if (Array.isArray(upstreams.sidecar)) {
    // several replicas, as STACK_SIDECARS runs them: consecutive ports from STACK_SIDECAR_PORT
    const replicas = upstreams.sidecar.map((r, i) => (r === 'down' ? null : recording('sidecar', seen, r, i)));
    servers.push(...replicas.filter((r): r is http.Server => r !== null));
    sidecars = replicas.length;
    sidecarPort = await listenConsecutive(replicas);
  } else {
    sidecarPort = await portOf('sidecar', upstreams.sidecar);
  }
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'llm-mcp-nginx-'));
  let nginx: ChildProcess | undefined;
  const close = async () => {
    nginx?.kill('SIGTERM');
    if (nginx && nginx.exitCode === null) await new Promise((r) => nginx!.once('exit', r));
    await Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // the state folder names where the routes include the TLS lines from: ${dir}/nginx/conf.d/llm_mcp_tls.inc
    const env = { ...process.env, STACK_STATE_DIR: dir, STACK_PORT: String(port), STACK_ODOO_PORT: String(odooPort),
      STACK_SIDECAR_PORT: String(sidecarPort), STACK_SIDECARS: String(sidecars),
      ...(options.tls ? { STACK_TLS_CERT: options.tls.cert, STACK_TLS_KEY: options.tls.key, STACK_TLS_PORT: String(tlsPort) } : {}) };
    const { stdout: routes } = await run('bash', [join(root, 'scripts/stack.sh'), 'nginx-config'], { env });
    const { stdout: tlsLines } = await run('bash', [join(root, 'scripts/stack.sh'), 'nginx-tls-config'], { env });
    mkdirSync(join(dir, 'nginx/conf.d'), { recursive: true });
    writeFileSync(join(dir, 'nginx/conf.d/llm_mcp_tls.inc'), tlsLines);
    mkdirSync(join(dir, 'temp'));
    chmodSync(join(dir, 'temp'), 0o777);
    writeFileSync(join(dir, 'routes.conf'), routes);
    writeFileSync(join(dir, 'nginx.conf'), `
      daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
      events { worker_connections 256; }
      http { access_log off; default_type application/octet-stream;
             client_body_temp_path ${dir}/temp/body; proxy_temp_path ${dir}/temp/proxy;
             fastcgi_temp_path ${dir}/temp/f; uwsgi_temp_path ${dir}/temp/u; scgi_temp_path ${dir}/temp/s;
             include ${dir}/routes.conf; }`);
    const args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')];
    await run(NGINX, [...args, '-t', '-q']); // rejects on an invalid config
    nginx = spawn(NGINX, args, { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
        socket.on('error', () => resolve(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { port, url: `http://127.0.0.1:${port}`, seen, close,
    ...(tlsPort ? { tlsPort, tlsUrl: `https://127.0.0.1:${tlsPort}` } : {}) };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * Sends one request with `target` exactly as given on the request line (no URL normalisation), and reads the
 * answer. `body` may be a Buffer or string; a chunked body is sent when `chunked` is set; `paceMs` sends the
 * body 64 KB at a time with that pause between pieces, as a client on a slower link would. `rawBody` sends the
 * bytes of `body` with no framing of its own (the given headers say, or misstate, how long it is); `version`
 * replaces HTTP/1.1 on the request line.
 */
export function rawRequest(
  port: number,
  method: string,
  target: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean; paceMs?: number;
    rawBody?: boolean; version?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    const headers: Record<string, string> = { Host: `127.0.0.1:${port}`, Connection: 'close', ...options.headers };
    // a raw body goes out as it is: the caller's own headers frame it, or fail to
    const framed = body !== undefined && !options.rawBody;
    if (framed && options.chunked) headers['Transfer-Encoding'] = 'chunked';
    else if (framed) headers['Content-Length'] = String(body.length);
    const head = `${method} ${target} ${options.version ?? 'HTTP/1.1'}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    const parser = new ResponseReader(resolve, reject);
    socket.on('data', (d: Buffer) => parser.push(d));
    socket.on('end', () => parser.end());
    // The peer may close while the body is still being sent (e.g. an early 413): read what it answered.
    socket.on('error', (err) => parser.end(err));
    socket.write(head);
    if (!body) return;
    const pieces: Buffer[] = [];
    for (let i = 0; i < body.length; i += 64 * 1024) {
      const part = body.subarray(i, i + 64 * 1024);
      pieces.push(framed && options.chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]) : part);
    }
    if (framed && options.chunked) pieces.push(Buffer.from('0\r\n\r\n'));
    const send = async () => {
      for (const piece of pieces) {
        if (socket.destroyed || parser.finished) return;
        socket.write(piece);
        if (options.paceMs) await new Promise((r) => setTimeout(r, options.paceMs));
      }
    };
    void send();
  });
}

class ResponseReader {
  private chunks: Buffer[] = [];
  private done = false;

  get finished(): boolean {
    return this.done;
  }
  constructor(private readonly resolve: (r: RawResponse) => void, private readonly reject: (e: Error) => void) {}

  push(d: Buffer): void {
    this.chunks.push(d);
  }

  end(err?: Error): void {
    if (this.done) return;
    this.done = true;
    const raw = Buffer.concat(this.chunks).toString('latin1');
    const split = raw.indexOf('\r\n\r\n');
    if (split < 0) return this.reject(err ?? new Error(`no HTTP answer: ${JSON.stringify(raw.slice(0, 200))}`));
    const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
    const headers: http.IncomingHttpHeaders = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let body: Buffer = Buffer.from(raw.slice(split + 4), 'latin1');
    if (String(headers['transfer-encoding']).toLowerCase() === 'chunked') body = dechunk(body);
    this.resolve({ status: Number(statusLine?.split(' ')[1]), headers, text: body.toString('utf8') });
  }
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!size) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
