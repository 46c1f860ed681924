import { describe, expect, it } from 'vitest';
import { formatImageRef, inRegistry, parseImageRef } from './image-ref.js';

describe('image references', () => {
  it('splits registry, repository and tag as the engine does', () => {
    expect(parseImageRef('minicore/busybox')).toEqual({ registry: undefined, repo: 'minicore/busybox', tag: 'latest' });
    expect(parseImageRef('minicore/busybox:1.36')).toEqual({ registry: undefined, repo: 'minicore/busybox', tag: '1.36' });
    expect(parseImageRef('127.0.0.1:5000/minicore/busybox:t1')).toEqual({ registry: '127.0.0.1:5000', repo: '127.0.0.1:5000/minicore/busybox', tag: 't1' });
    expect(parseImageRef('localhost/app')).toMatchObject({ registry: 'localhost', tag: 'latest' });
    expect(parseImageRef('registry.local:5000/app')).toMatchObject({ registry: 'registry.local:5000', repo: 'registry.local:5000/app', tag: 'latest' });
  });

  it.each(['', 'Minicore/busybox', 'busybox:', 'busybox:-x', 'a//b', 'host:5000/', 'minicore/busy box'])('refuses %j', (text) => {
    expect(() => parseImageRef(text)).toThrow(`invalid image reference "${text}"`);
  });

  it('puts a reference under a registry, once', () => {
    expect(formatImageRef(inRegistry(parseImageRef('minicore/busybox:1'), '10.77.0.10:5000'))).toBe('10.77.0.10:5000/minicore/busybox:1');
    expect(() => inRegistry(parseImageRef('127.0.0.1:5000/a:1'), '10.77.0.10:5000')).toThrow('already names a registry (127.0.0.1:5000)');
  });
});
