// Every setting of the sidecar, its default, and its validation. Defaults work on a developer's laptop
// (Odoo on 127.0.0.1:8069, sidecar on 127.0.0.1:8765); a bad value stops the start with a message
// naming the variable.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Config {
  /** Base URL of Odoo; the only place a caller's key is ever sent. */
  odooUrl: string;
  /** Where cancellations go (ODOO_CANCEL_URL): Odoo's gevent port under prefork, else ODOO_URL. */
  odooCancelUrl: string;
  /** When set, the database Odoo reports in `identity` must be this one. */
  odooDb: string | undefined;
  host: string;
  port: number;
  /** Origin host names a browser may call from (port-agnostic); `*` disables the check. */
  allowedOrigins: string[] | '*';
  /** Host header names accepted (DNS-rebinding guard); `*` disables the check. */
  allowedHosts: string[] | '*';
  /** Timeout for Odoo's health/identity/tools answers. */
  odooTimeoutMs: number;
  /** Timeout for one tool call relayed to Odoo. */
  toolCallTimeoutMs: number;
  /** Most requests this process has open at Odoo at once; the rest wait their turn (within their timeout). */
  odooMaxConcurrency: number;
  /** Most of those one key may hold (at most odooMaxConcurrency); its other requests wait in its own queue. */
  odooMaxConcurrencyPerKey: number;
  /** Largest answer read from Odoo; a bigger one is cut off while it streams in, and the client told so. */
  odooMaxAnswerBytes: number;
  authCacheTtlMs: number;
  authNegativeTtlMs: number;
  toolsCacheTtlMs: number;
  /** tools/list page size; longer lists get a `nextCursor`. */
  toolsPageSize: number;
  maxBodyBytes: number;
  /** Bodies of the requests being served at once (each counted at least 16 KiB); a key may hold its share. */
  maxRequestBytesInFlight: number;
  shutdownGraceMs: number;
  logLevel: LogLevel;
}

/** A configuration value that cannot be used; the message names the variable and what is wrong. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** The documented settings with their defaults, as `npm start` uses them when nothing is set. */
export const DEFAULTS = {
  ODOO_URL: 'http://127.0.0.1:8069',
  HOST: '127.0.0.1',
  PORT: '8765',
  ODOO_TIMEOUT_MS: '10000',
  TOOL_CALL_TIMEOUT_MS: '120000',
  ODOO_MAX_CONCURRENCY: '16',
  ODOO_MAX_CONCURRENCY_PER_KEY: '4',
  ODOO_MAX_ANSWER_BYTES: String(2 * 1024 * 1024),
  AUTH_CACHE_TTL_MS: '30000',
  AUTH_NEGATIVE_TTL_MS: '5000',
  TOOLS_CACHE_TTL_MS: '300000',
  TOOLS_PAGE_SIZE: '100',
  MAX_BODY_BYTES: String(1024 * 1024),
  MAX_REQUEST_BYTES_IN_FLIGHT: String(8 * 1024 * 1024),
  SHUTDOWN_GRACE_MS: '10000',
  LOG_LEVEL: 'warn',
} as const;

type Env = Record<string, string | undefined>;

function read(env: Env, name: keyof typeof DEFAULTS): string {
  const value = env[name]?.trim();
  return value ? value : DEFAULTS[name];
}

function integer(env: Env, name: keyof typeof DEFAULTS, min: number, max: number): number {
  const raw = read(env, name);
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a whole number`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name}=${raw} must be between ${min} and ${max}`);
  return value;
}

function httpUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a URL (expected e.g. http://127.0.0.1:8069)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name}=${raw} must be an http:// or https:// URL`);
  }
  if (url.username || url.password) throw new ConfigError(`${name} must not carry credentials`);
  if (url.search || url.hash) throw new ConfigError(`${name}=${raw} must not have a query or fragment`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** Reduces `https://app.example.com:8443` or `app.example.com` to the host name the SDK guards compare. */
function hostName(name: string, item: string): string {
  const candidate = item.includes('://') ? item : `http://${item}`;
  try {
    const url = new URL(candidate);
    if (item.includes('://') && !['http:', 'https:'].includes(url.protocol)) return item; // e.g. moz-extension://*
    return url.hostname.toLowerCase();
  } catch {
    throw new ConfigError(`${name}: ${JSON.stringify(item)} is not a host name or origin`);
  }
}

function hostList(env: Env, name: string, defaults: string[]): string[] | '*' {
  const raw = env[name]?.trim();
  if (!raw) return defaults;
  if (raw === '*') return '*';
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new ConfigError(`${name} is empty; leave it unset for the default`);
  return [...new Set(items.map((item) => hostName(name, item)))];
}

/** Reads and validates the configuration from the environment; throws ConfigError on a bad value. */
export function loadConfig(env: Env = process.env): Config {
  const odooUrl = httpUrl('ODOO_URL', read(env, 'ODOO_URL'));
  const logLevel = read(env, 'LOG_LEVEL').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL=${JSON.stringify(env.LOG_LEVEL)} must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const host = read(env, 'HOST');
  if (/\s/.test(host)) throw new ConfigError(`HOST=${JSON.stringify(host)} is not an address`);
  // Behind Odoo's reverse proxy the Host header is either the upstream address (nginx's default, loopback)
  // or Odoo's own public name when the proxy forwards `$host`: both are allowed out of the box.
  const odooHost = new URL(odooUrl).hostname.toLowerCase();
  const defaultHosts = [...new Set([...LOOPBACK_NAMES, odooHost])];
  const odooDb = env.ODOO_DB?.trim() || undefined;
  const maxBodyBytes = integer(env, 'MAX_BODY_BYTES', 1024, 64 * 1024 * 1024);
  const maxRequestBytesInFlight = integer(env, 'MAX_REQUEST_BYTES_IN_FLIGHT', 1024, 16 * 1024 * 1024 * 1024);
  if (maxRequestBytesInFlight < maxBodyBytes) {
    throw new ConfigError(`MAX_REQUEST_BYTES_IN_FLIGHT=${maxRequestBytesInFlight} is less than MAX_BODY_BYTES=${maxBodyBytes}: no request of the largest size would fit`);
  }
  // Under prefork a cancellation sent to ODOO_URL waits for a free HTTP worker, behind the very call it
  // cancels when every worker is busy; Odoo's gevent process (gevent_port) serves any route at once.
  const odooCancelUrl = env.ODOO_CANCEL_URL?.trim() ? httpUrl('ODOO_CANCEL_URL', env.ODOO_CANCEL_URL.trim()) : odooUrl;
  return {
    odooUrl,
    odooCancelUrl,
    odooDb,
    host,
    port: integer(env, 'PORT', 0, 65535),
    allowedOrigins: hostList(env, 'MCP_ALLOWED_ORIGINS', LOOPBACK_NAMES),
    allowedHosts: hostList(env, 'MCP_ALLOWED_HOSTS', defaultHosts),
    odooTimeoutMs: integer(env, 'ODOO_TIMEOUT_MS', 100, 600_000),
    toolCallTimeoutMs: integer(env, 'TOOL_CALL_TIMEOUT_MS', 100, 3_600_000),
    odooMaxConcurrency: integer(env, 'ODOO_MAX_CONCURRENCY', 1, 1024),
    odooMaxConcurrencyPerKey: integer(env, 'ODOO_MAX_CONCURRENCY_PER_KEY', 1, 1024),
    odooMaxAnswerBytes: integer(env, 'ODOO_MAX_ANSWER_BYTES', 16 * 1024, 256 * 1024 * 1024),
    authCacheTtlMs: integer(env, 'AUTH_CACHE_TTL_MS', 0, 3_600_000),
    authNegativeTtlMs: integer(env, 'AUTH_NEGATIVE_TTL_MS', 0, 3_600_000),
    toolsCacheTtlMs: integer(env, 'TOOLS_CACHE_TTL_MS', 0, 86_400_000),
    toolsPageSize: integer(env, 'TOOLS_PAGE_SIZE', 1, 10_000),
    maxBodyBytes,
    maxRequestBytesInFlight,
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 0, 600_000),
    logLevel,
  };
}
