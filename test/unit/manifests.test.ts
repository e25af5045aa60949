import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The addons' manifests name screenshots (OCA: "images", shown by the Apps screen); scripts/screenshots.sh
// makes them. A renamed or missing file would show a broken image.
const root = new URL('../../', import.meta.url).pathname;

// OCA's "maintainers" is a list of the GitHub handles of the people who answer for a module (its README and the
// OCA bot ping them). This project has no handle to name: the manifests leave the key out rather than invent one
// (a made-up or a stranger's handle would send users' questions to nobody, or to someone else). When it gets one,
// the key must hold real handles: the test below checks their form.
const GITHUB_HANDLE = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

describe('addon manifests', () => {
  for (const addon of ['llm', 'llm_tool', 'llm_mcp_server', 'test_llm_tool']) {
    it(`${addon}: names maintainers only as a non-empty list of GitHub handles (none yet: see above)`, () => {
      const manifest = readFileSync(join(root, 'odoo_addon', addon, '__manifest__.py'), 'utf8');
      const entry = /"maintainers":\s*\[([^\]]*)\]/.exec(manifest);
      if (!entry) {
        assert.doesNotMatch(manifest, /maintainers/, `${addon}: a "maintainers" entry that is not a list`);
        return;
      }
      const handles = [...entry[1]!.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
      assert.ok(handles.length > 0, `${addon}: an empty maintainers list`);
      for (const handle of handles) assert.match(handle, GITHUB_HANDLE, `${addon}: ${handle} is not a GitHub handle`);
    });
  }

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
