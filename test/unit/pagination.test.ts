import assert from 'node:assert/strict';
import { InvalidCursor } from '../../sidecar/src/errors.js';
import { paginate } from '../../sidecar/src/mcp/pagination.js';

describe('tools/list pagination', () => {
  const items = Array.from({ length: 7 }, (_, i) => i);

  it('walks the whole list page by page', () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = paginate(items, cursor, 3, 'fp');
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    assert.deepEqual(seen, items);
    assert.equal(pages, 3);
  });

  it('gives no cursor when everything fits', () => {
    assert.equal(paginate(items, undefined, 100, 'fp').nextCursor, undefined);
  });

  it('refuses a cursor from another version of the list', () => {
    const next = paginate(items, undefined, 3, 'fp1').nextCursor!;
    assert.throws(() => paginate(items, next, 3, 'fp2'), InvalidCursor);
  });

  it('refuses a made-up cursor', () => {
    assert.throws(() => paginate(items, 'garbage!', 3, 'fp'), InvalidCursor);
    assert.throws(() => paginate(items, Buffer.from('{"o":-1,"f":"fp"}').toString('base64url'), 3, 'fp'), InvalidCursor);
  });
});
