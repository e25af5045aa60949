import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULTS } from '../../sidecar/src/config.js';

// The README is the user's manual: its configuration table must be the sidecar's real settings with their
// real defaults, and the commands it names must exist.
const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const configSource = readFileSync(new URL('sidecar/src/config.ts', root), 'utf8');

/** `variable → default` rows of the README's configuration table. */
function tableRows(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const m of readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/gm)) rows.set(m[1] ?? '', (m[2] ?? '').trim());
  return rows;
}

describe('README.md', () => {
  it('documents every environment variable the sidecar reads, and no other', () => {
    const read = new Set([...Object.keys(DEFAULTS),
      ...[...configSource.matchAll(/env(?:\.|\[')([A-Z][A-Z0-9_]+)|hostList\(env, '([A-Z_]+)'/g)].map((m) => m[1] ?? m[2] ?? '')]);
    read.delete('');
    assert.deepEqual([...tableRows().keys()].sort(), [...read].sort());
  });

  it('gives the defaults config.ts uses', () => {
    const rows = tableRows();
    for (const [name, value] of Object.entries(DEFAULTS)) {
      assert.equal(rows.get(name), '`' + value + '`', `${name}: README says ${rows.get(name)}, config.ts ${value}`);
    }
  });

  it("shows the Claude Desktop configuration the New MCP Key wizard makes", () => {
    const wizard = readFileSync(new URL('odoo_addon/llm_mcp_server/wizards/client_configs.py', root), 'utf8');
    const pinned = /^MCP_REMOTE = "([^"]+)"/m.exec(wizard)?.[1];
    const block = /```json\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('claude_desktop_config.json')))?.[1];
    assert.ok(pinned && block);
    const config = JSON.parse(block) as { mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }> };
    const server = config.mcpServers['odoo-mcp'];
    assert.deepEqual(server?.args, ['-y', pinned, 'http://127.0.0.1:8069/mcp', '--header', 'Authorization:${AUTH_HEADER}']);
    assert.equal(server?.command, 'npx');
    assert.match(server?.env.AUTH_HEADER ?? '', /^Bearer /);
  });

  it('names only stack.sh commands and npm scripts that exist', () => {
    const stackSh = readFileSync(new URL('scripts/stack.sh', root), 'utf8');
    for (const [, command] of readme.matchAll(/scripts\/stack\.sh ([a-z-]+)/g)) {
      assert.match(stackSh, new RegExp(`^    ${command}\\)`, 'm'), `stack.sh has no command ${command}`);
    }
    const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const [, script] of readme.matchAll(/npm (?:run )?(start|test|test:[a-z]+|bench)\b/g)) {
      assert.ok(scripts[script ?? ''], `package.json has no script ${script}`);
    }
  });
});
