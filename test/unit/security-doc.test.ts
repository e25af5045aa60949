import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// docs/security.md names the test of every defence; a renamed or deleted test must not leave a defence
// that only the document still claims.
const root = new URL('../../', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/security.md'), 'utf8');

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return name === 'node_modules' ? [] : filesUnder(path, suffix);
    return path.endsWith(suffix) ? [path] : [];
  });
}

const read = (paths: string[]) => paths.map((p) => readFileSync(join(root, p), 'utf8')).join('\n');
const pythonTests = read(filesUnder('odoo_addon', '.py').filter((p) => p.includes('/tests/')));
const typescriptTests = read([...filesUnder('test', '.test.ts')]).replace(/\\'/g, "'");
const defenceRows = doc.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| defence') && !line.startsWith('|---'));

describe('docs/security.md', () => {
  it('names a test for every defence', () => {
    assert.ok(defenceRows.length >= 15, `only ${defenceRows.length} defences`);
    for (const row of defenceRows) {
      const testCell = row.split(' | ').at(-1) ?? '';
      assert.match(testCell, /test|\.ts/, `no test named for: ${row.slice(0, 100)}`);
    }
  });

  it('names Odoo tests that exist', () => {
    const names = [...doc.matchAll(/`(?:[A-Za-z]+\.)?(?:…)?(test_[a-z0-9_]+)`/g)].map((m) => m[1] ?? '');
    assert.ok(names.length > 20);
    for (const name of names) assert.match(pythonTests, new RegExp(`def ${name}\\(`), `no Odoo test ${name}`);
    for (const [, cls] of doc.matchAll(/`(Test[A-Za-z]+)\./g)) assert.match(pythonTests, new RegExp(`class ${cls}\\(`), `no class ${cls}`);
  });

  it('names test files and end-to-end tests that exist', () => {
    for (const [, file] of doc.matchAll(/`([\w./-]+\.(?:test\.ts|py))`/g)) {
      const found = [...filesUnder('test', '.ts'), ...filesUnder('odoo_addon', '.py')].some((p) => p.endsWith(file ?? ''));
      assert.ok(found, `no file ${file}`);
    }
    for (const [, title] of doc.matchAll(/(?:e2e|sidecar|deploy)[^|"]*"([^"]+)"/g)) {
      assert.ok(typescriptTests.includes(title ?? ''), `no test titled "${title}"`);
    }
  });
});
