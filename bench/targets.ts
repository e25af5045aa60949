// The request paths being compared. Each target is a fixed HTTP request plus a check of its reply, so the
// same definition drives the sequential latency rounds and the concurrency sweep.
import { postJson, type Reply } from './http.js';
import type { BenchConfig } from './config.js';

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Throws when the reply is not a success of this path. */
  check(reply: Reply): void;
  /** A request the path must send first on every call (a per-call login); such paths are not swept. */
  before?: { url: string; body: string };
  /** Sweeps only: MCP keys (each of another user) to spread the connections over; `headers` keep the first. */
  keys?: string[];
  /** Renews a short-lived credential in `headers` (Odoo's fast-path token lives 10 minutes); run before each round or sweep. */
  refresh?: () => Promise<void>;
}

// The query every path answers: 20 companies with 4 fields.
export const QUERY = {
  model: 'res.partner',
  domain: [['is_company', '=', true]],
  fields: ['name', 'email', 'phone', 'city'],
  limit: 20,
} as const;

const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';

interface JsonRpcMessage<T> {
  result?: T;
  error?: { code: number; message: string; data?: { message?: string } };
}

export interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: { records?: Record<string, unknown>[] };
}

interface ListResult { tools?: unknown[]; supportedVersions?: string[]; serverInfo?: unknown }

function parse<T>(text: string): JsonRpcMessage<T> {
  return JSON.parse(text) as JsonRpcMessage<T>;
}

function jsonRpcResult<T = ListResult>(reply: Reply): T {
  if (reply.status !== 200) throw new Error(`HTTP ${reply.status}: ${reply.body.slice(0, 200)}`);
  // 2025-era answers may arrive as one SSE event; take its data line.
  const text = reply.body.startsWith('event:') || reply.body.startsWith('data:') || reply.body.startsWith('id:')
    ? reply.body.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('')
    : reply.body;
  const msg = parse<T>(text);
  if (msg.error || msg.result === undefined) throw new Error(`JSON-RPC error: ${JSON.stringify(msg.error).slice(0, 200)}`);
  return msg.result;
}

function mcpToolResult(reply: Reply): ToolResult {
  const result = jsonRpcResult<ToolResult>(reply);
  if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content).slice(0, 200)}`);
  return result;
}

function modernRequest(key: string, method: string, params: Record<string, unknown>, name?: string): Pick<Target, 'headers' | 'body'> {
  const headers: Record<string, string> = {
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${key}`,
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
  };
  if (name) headers['mcp-name'] = name;
  const body = JSON.stringify({
    jsonrpc: '2.0', id: 1, method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN,
        'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': { name: 'llm_mcp_server-bench', version: '1' },
      },
    },
  });
  return { headers, body };
}

function mcpTarget(name: string, base: string, key: string, method: string, params: Record<string, unknown>,
  check: (r: Reply) => void, toolName?: string): Target {
  const { headers, body } = modernRequest(key, method, params, toolName);
  return { name, url: `${base}/mcp`, headers, body, check };
}

/** Logs in to the web client once; the session cookie is what the floor path reuses. */
export async function webSession(cfg: BenchConfig): Promise<string> {
  const reply = await postJson(`${cfg.odooUrl}/web/session/authenticate`, {
    jsonrpc: '2.0', method: 'call', id: 1, params: { db: cfg.db, login: cfg.login, password: cfg.password },
  });
  const result = parse<{ uid?: number }>(reply.body);
  if (result.error || !result.result?.uid) throw new Error(`web login failed for ${cfg.login}: ${reply.body.slice(0, 200)}`);
  const cookie = ([] as string[]).concat(reply.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).find((c) => c!.startsWith('session_id='));
  if (!cookie) throw new Error('web login returned no session cookie');
  return cookie;
}

export async function rpcUid(cfg: BenchConfig): Promise<number> {
  const reply = await postJson(`${cfg.odooUrl}/jsonrpc`, {
    jsonrpc: '2.0', method: 'call', id: 1,
    params: { service: 'common', method: 'login', args: [cfg.db, cfg.login, cfg.rpcKey] },
  });
  const uid = parse<number>(reply.body).result;
  if (typeof uid !== 'number' || uid <= 0) throw new Error(`/jsonrpc login with the rpc key failed: ${reply.body.slice(0, 200)}`);
  return uid;
}

/** The fast-path token Odoo gives the sidecar for a key (docs/contract.md, Fast path): what the sidecar sends with every call. */
export async function fastPathToken(cfg: BenchConfig): Promise<string> {
  const reply = await postJson(`${cfg.odooUrl}/llm_mcp/v1/identity`, {}, { authorization: `Bearer ${cfg.mcpKey}` });
  const token = (JSON.parse(reply.body) as { token?: unknown }).token;
  if (reply.status !== 200 || typeof token !== 'string') throw new Error(`/llm_mcp/v1/identity refused the MCP key: HTTP ${reply.status}`);
  return token;
}

/** A reply of Odoo's /llm_mcp/v1/call that is a tool result, not an error. */
function odooCallOk(reply: Reply): void {
  if (reply.status !== 200) throw new Error(`HTTP ${reply.status}: ${reply.body.slice(0, 200)}`);
  const result = JSON.parse(reply.body) as { isError?: boolean };
  if (result.isError !== false) throw new Error(`tool error: ${reply.body.slice(0, 200)}`);
}

export function buildTargets(cfg: BenchConfig, cookie: string, uid: number): Record<string, Target> {
  const odooOk = (reply: Reply) => {
    if (reply.status !== 200) throw new Error(`HTTP ${reply.status}`);
    const msg = parse<unknown>(reply.body);
    if (msg.error) throw new Error(`Odoo error: ${msg.error.data?.message ?? msg.error.message}`);
    if (!Array.isArray(msg.result)) throw new Error('Odoo answered no records');
  };
  const searchArgs = { model: QUERY.model, domain: QUERY.domain, fields: QUERY.fields, limit: QUERY.limit };
  const listOk = (r: Reply) => { if (!Array.isArray(jsonRpcResult(r).tools)) throw new Error('no tools in tools/list'); };
  return {
    floor_call_kw: {
      name: 'floor_call_kw', url: `${cfg.odooUrl}/web/dataset/call_kw/res.partner/search_read`,
      headers: { cookie },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: {
        model: QUERY.model, method: 'search_read', args: [],
        kwargs: { domain: QUERY.domain, fields: QUERY.fields, limit: QUERY.limit } } }),
      check: odooOk,
    },
    standalone_jsonrpc: {
      name: 'standalone_jsonrpc', url: `${cfg.odooUrl}/jsonrpc`, headers: {},
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service: 'object', method: 'execute_kw',
        args: [cfg.db, uid, cfg.rpcKey, QUERY.model, 'search_read', [QUERY.domain], { fields: QUERY.fields, limit: QUERY.limit }] } }),
      check: odooOk,
    },
    // Servers that authenticate on every call pay a login (the key checked as a password, then as a key).
    standalone_jsonrpc_login: {
      name: 'standalone_jsonrpc_login', url: `${cfg.odooUrl}/jsonrpc`, headers: {},
      before: { url: `${cfg.odooUrl}/jsonrpc`, body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1,
        params: { service: 'common', method: 'login', args: [cfg.db, cfg.login, cfg.rpcKey] } }) },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service: 'object', method: 'execute_kw',
        args: [cfg.db, uid, cfg.rpcKey, QUERY.model, 'search_read', [QUERY.domain], { fields: QUERY.fields, limit: QUERY.limit }] } }),
      check: odooOk,
    },
    // Odoo's half of tools/call alone: the request the sidecar sends (key, fast-path token, call), straight to
    // Odoo. Its ratio to the floor is what no sidecar work can go below; the rest of mcp_call_proxy is ours.
    odoo_mcp_route: {
      name: 'odoo_mcp_route', url: `${cfg.odooUrl}/llm_mcp/v1/call`,
      headers: { authorization: `Bearer ${cfg.mcpKey}` },
      body: JSON.stringify({ name: 'odoo_search', arguments: searchArgs, request_id: '1', protocol_version: MODERN,
        client: { name: 'llm_mcp_server-bench', version: '1' } }),
      check: odooCallOk,
      async refresh() { this.headers = { authorization: `Bearer ${cfg.mcpKey}`, 'x-llm-mcp-token': await fastPathToken(cfg) }; },
    },
    mcp_call_proxy: mcpTarget('mcp_call_proxy', cfg.proxyUrl, cfg.mcpKey, 'tools/call',
      { name: 'odoo_search', arguments: searchArgs }, mcpToolResult, 'odoo_search'),
    // the same spread over the keys of several users (BENCH_MCP_KEYS): a sidecar lets one key hold only
    // ODOO_MAX_CONCURRENCY_PER_KEY calls at Odoo, so one key cannot show a deployment's throughput
    ...(cfg.userKeys.length > 0 ? {
      mcp_call_users: {
        ...mcpTarget('mcp_call_users', cfg.proxyUrl, cfg.userKeys[0]!, 'tools/call',
          { name: 'odoo_search', arguments: searchArgs }, mcpToolResult, 'odoo_search'),
        keys: cfg.userKeys,
      },
    } : {}),
    mcp_call_direct: mcpTarget('mcp_call_direct', cfg.sidecarUrl, cfg.mcpKey, 'tools/call',
      { name: 'odoo_search', arguments: searchArgs }, mcpToolResult, 'odoo_search'),
    mcp_tools_list: mcpTarget('mcp_tools_list', cfg.proxyUrl, cfg.mcpKey, 'tools/list', {}, listOk),
    // the same straight to the sidecar: what nginx adds to tools/list
    mcp_tools_list_direct: mcpTarget('mcp_tools_list_direct', cfg.sidecarUrl, cfg.mcpKey, 'tools/list', {}, listOk),
    mcp_discover: mcpTarget('mcp_discover', cfg.proxyUrl, cfg.mcpKey, 'server/discover', {},
      (r) => { if (!jsonRpcResult(r).supportedVersions) throw new Error('no supportedVersions in server/discover'); }),
    mcp_initialize: {
      name: 'mcp_initialize', url: `${cfg.proxyUrl}/mcp`,
      headers: { accept: 'application/json, text/event-stream', authorization: `Bearer ${cfg.mcpKey}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {
        protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'llm_mcp_server-bench', version: '1' } } }),
      check: (r) => { if (!jsonRpcResult(r).serverInfo) throw new Error('no serverInfo in initialize'); },
    },
  };
}

/** Sends one target's request and checks the reply. */
export async function hit(target: Target): Promise<Reply> {
  if (target.before) {
    const login = await postJson(target.before.url, target.before.body);
    if (login.status !== 200 || typeof parse<number>(login.body).result !== 'number') throw new Error('per-call login failed');
  }
  const reply = await postJson(target.url, target.body, target.headers);
  target.check(reply);
  return reply;
}

export { jsonRpcResult, mcpToolResult, parse };
