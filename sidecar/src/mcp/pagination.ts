// Cursor pagination of tools/list and prompts/list. A cursor is opaque to clients; it names the offset and the list version
// (fingerprint) it was cut from, so a cursor from an older list is refused instead of skipping tools.

import { InvalidCursor } from '../errors.js';

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export function encodeCursor(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, fingerprint: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor('Invalid cursor');
  }
  const { o, f } = (parsed ?? {}) as { o?: unknown; f?: unknown };
  if (typeof o !== 'number' || !Number.isInteger(o) || o < 0) throw new InvalidCursor('Invalid cursor');
  if (f !== fingerprint) throw new InvalidCursor('Invalid cursor: the list changed, list again from the start');
  return o;
}

/** The page of `items` that `cursor` points at (the first page without one). */
export function paginate<T>(items: T[], cursor: string | undefined, pageSize: number, fingerprint: string): Page<T> {
  const offset = cursor === undefined ? 0 : decodeCursor(cursor, fingerprint);
  if (offset > items.length) throw new InvalidCursor('Invalid cursor');
  const end = offset + pageSize;
  return {
    items: items.slice(offset, end),
    ...(end < items.length ? { nextCursor: encodeCursor(end, fingerprint) } : {}),
  };
}
