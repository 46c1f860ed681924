import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken, pageOf } from './page-token.js';

describe('page tokens', () => {
  it("encodes fleet's example: {Limit:100, Page:2} is ZAACAA==", () => {
    expect(encodePageToken({ limit: 100, page: 2 })).toBe('ZAACAA==');
    expect(decodePageToken('ZAACAA==', 100)).toEqual({ limit: 100, page: 2 });
  });

  it.each([
    ['not base64!', 'invalid page token'],
    ['ZAA=', 'invalid page token'],
    [encodePageToken({ limit: 50, page: 2 }), 'token limit must be 100'],
    [encodePageToken({ limit: 100, page: 0 }), 'page must be 1 or higher'],
  ])('refuses %s', (token, message) => {
    expect(() => decodePageToken(token, 100)).toThrow(message);
  });

  it('pages items and offers the next token only while items remain', () => {
    const items = [1, 2, 3, 4, 5];
    expect(pageOf(items, { limit: 2, page: 1 })).toEqual({ items: [1, 2], next: encodePageToken({ limit: 2, page: 2 }) });
    expect(pageOf(items, { limit: 2, page: 3 })).toEqual({ items: [5], next: undefined });
    expect(pageOf([1, 2], { limit: 2, page: 1 }).next).toBeUndefined();
  });
});
