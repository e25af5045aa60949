// TEST CODE ONLY. Connects the official SDK clients to the sidecar: the 2.x client (@modelcontextprotocol/client)
// at any of the four protocol versions, and the 1.x client (@modelcontextprotocol/sdk) the way deployed
// clients use it.

import { Client as Client2, StreamableHTTPClientTransport as Transport2 } from '@modelcontextprotocol/client';
import { Client as Client1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as Transport1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const VERSIONS = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26'] as const;
export type Version = (typeof VERSIONS)[number];

export async function connect2x(mcpUrl: string, key: string, version: Version): Promise<Client2> {
  const transport = new Transport2(new URL(mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${key}` } } });
  const client = new Client2(
    { name: 'e2e-client-2x', version: '2.4.0' },
    version === '2026-07-28' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : { supportedProtocolVersions: [version] },
  );
  await client.connect(transport);
  return client;
}

/**
 * The 1.x client always offers its latest version (2025-11-25); to act as a 1.x client of an older release
 * offering `version`, the offered version in its initialize request is rewritten on the wire.
 */
export async function connect1x(mcpUrl: string, key: string, version: Exclude<Version, '2026-07-28'>): Promise<Client1> {
  const offer: typeof fetch = async (input, init) => {
    if (init?.body && typeof init.body === 'string' && init.body.includes('"initialize"')) {
      const body = JSON.parse(init.body) as { method?: string; params?: { protocolVersion?: string } };
      if (body.method === 'initialize' && body.params) body.params.protocolVersion = version;
      init = { ...init, body: JSON.stringify(body) };
    }
    return fetch(input, init);
  };
  const transport = new Transport1(new URL(mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${key}` } }, fetch: offer });
  const client = new Client1({ name: 'e2e-client-1x', version: '1.32.2' });
  await client.connect(transport);
  return client;
}
