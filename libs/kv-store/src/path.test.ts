import { describe, expect, it } from 'vitest';
import { isHiddenBelow, normalizeKey } from './path.js';

describe('normalizeKey (Go path.Clean(path.Join("/", key)))', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['//', '/'],
    ['a', '/a'],
    ['/a/', '/a'],
    ['//a//b//', '/a/b'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/../a', '/a'],
    ['a/b/..', '/a'],
    ['/.hidden', '/.hidden'],
    ['/a/.../b', '/a/.../b'],
    ['/a/b/../../..', '/'],
    ['/_x/y', '/_x/y'],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeKey(input)).toBe(expected);
  });
});

describe('isHiddenBelow (etcd watcherHub.isHidden)', () => {
  it.each([
    ['/', '/_a', true],
    ['/', '/a/_b/c', true],
    ['/a', '/a/b', false],
    ['/a', '/a/_b', true],
    ['/a/_b', '/a/_b/c', false],
    ['/a/b/c', '/a', false],
  ])('watch %j, key %j -> %j', (watchPath, keyPath, expected) => {
    expect(isHiddenBelow(watchPath, keyPath)).toBe(expected);
  });
});
