import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The addons' manifests name screenshots (OCA: "images", shown by the Apps screen); scripts/screenshots.sh
// makes them. A renamed or missing file would show a broken image.
const root = new URL('../../', import.meta.url).pathname;

describe('addon manifests', () => {
  for (const addon of ['llm_mcp_server', 'llm_tool']) {
    it(`${addon}: every image the manifest names is a PNG in the addon`, () => {
      const manifest = readFileSync(join(root, 'odoo_addon', addon, '__manifest__.py'), 'utf8');
      const list = /"images":\s*\[([^\]]*)\]/.exec(manifest)?.[1] ?? '';
      const images = [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? '');
      assert.ok(images.length > 0, `${addon} names no images`);
      for (const image of images) {
        const path = join(root, 'odoo_addon', addon, image);
        assert.ok(existsSync(path), `${addon}: ${image} is missing (scripts/screenshots.sh makes it)`);
        assert.deepEqual([...readFileSync(path).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${image} is not a PNG`);
      }
    });
  }
});
