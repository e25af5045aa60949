// TEST CODE ONLY. Raw HTTP to /mcp, for the transport rules the SDK clients never break on purpose.

export const META_2026 = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw-test', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The JSON-RPC message(s): the body as JSON, or the `data:` of the first SSE event. */
  json: any;
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      const data = text.split('\n').find((l) => l.startsWith('data: '));
      json = data ? JSON.parse(data.slice(6)) : undefined;
    } else {
      json = text ? JSON.parse(text) : undefined;
    }
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Headers of a 2025-era request after initialize. */
export function legacy(key: string, version = '2025-11-25'): Record<string, string> {
  return { Authorization: `Bearer ${key}`, 'MCP-Protocol-Version': version };
}

/** A 2026-07-28 request (headers and `_meta` envelope) for `method`. */
export function modern(key: string, id: number, method: string, params: Record<string, unknown> = {}): [unknown, Record<string, string>] {
  const headers: Record<string, string> = { Authorization: `Bearer ${key}`, 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': method };
  if ((method === 'tools/call' || method === 'prompts/get') && typeof params.name === 'string') headers['Mcp-Name'] = params.name;
  return [{ jsonrpc: '2.0', id, method, params: { ...params, _meta: META_2026 } }, headers];
}
