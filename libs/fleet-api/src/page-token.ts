/** fleet's page size setting (`token_limit`) default. */
export const defaultTokenLimit = 100;

export interface PageToken {
  limit: number;
  /** 1-based */
  page: number;
}

/** URL-safe base64 of two little-endian uint16: limit, then page (`{100, 2}` is `ZAACAA==`). */
export function encodePageToken(token: PageToken): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt16LE(token.limit, 0);
  bytes.writeUInt16LE(token.page, 2);
  return bytes.toString('base64').replaceAll('+', '-').replaceAll('/', '_');
}

export class PageTokenError extends Error {
  override name = 'PageTokenError';
}

/** Reads a token the way fleet checks it: valid base64 of 4 bytes, the server's limit, page ≥ 1. */
export function decodePageToken(text: string, expectedLimit: number): PageToken {
  if (!/^[A-Za-z0-9_+/-]+={0,2}$/.test(text)) throw new PageTokenError('invalid page token');
  const bytes = Buffer.from(text.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
  if (bytes.length !== 4) throw new PageTokenError('invalid page token');
  const token = { limit: bytes.readUInt16LE(0), page: bytes.readUInt16LE(2) };
  if (token.limit !== expectedLimit) throw new PageTokenError(`token limit must be ${expectedLimit}`);
  if (token.page === 0) throw new PageTokenError('page must be 1 or higher');
  return token;
}

/** One page of `items` and the token of the next one, if any. */
export function pageOf<T>(items: readonly T[], token: PageToken): { items: T[]; next: string | undefined } {
  const start = (token.page - 1) * token.limit;
  const end = token.page * token.limit;
  return { items: items.slice(start, end), next: end < items.length ? encodePageToken({ limit: token.limit, page: token.page + 1 }) : undefined };
}
