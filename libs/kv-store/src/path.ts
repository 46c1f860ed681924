/**
 * Key normalization exactly as etcd does it: `path.Clean(path.Join("/", key))` in Go, so `a//b/`,
 * `/a/./b` and `/x/../a/b` all name `/a/b`, and the result always starts with `/` and never ends
 * with one (except the root itself).
 */
export function normalizeKey(key: string): string {
  if (isClean(key)) return key;
  const out: string[] = [];
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      out.pop();
      continue;
    }
    out.push(segment);
  }
  return '/' + out.join('/');
}

// The hot path: keys that clients send are almost always clean already.
function isClean(key: string): boolean {
  const n = key.length;
  if (n === 0 || key.charCodeAt(0) !== 47 /* / */) return false;
  if (n === 1) return true;
  if (key.charCodeAt(n - 1) === 47) return false;
  return !key.includes('//') && !key.includes('/.');
}

/** The segments of a normalized key, without the root: `/a/b` gives `['a', 'b']`, `/` gives `[]`. */
export function keySegments(key: string): string[] {
  return key === '/' ? [] : key.slice(1).split('/');
}

/** The key of a child node: `joinKey('/', 'a')` is `/a`, `joinKey('/a', 'b')` is `/a/b`. */
export function joinKey(parent: string, name: string): string {
  return parent === '/' ? '/' + name : parent + '/' + name;
}

/**
 * etcd's watcher-hub `isHidden`: whether the part of `keyPath` below `watchPath` contains a hidden
 * segment (one starting with `_`), which a watcher on `watchPath` must not see.
 */
export function isHiddenBelow(watchPath: string, keyPath: string): boolean {
  if (watchPath.length > keyPath.length) return false;
  const after = normalizeKey('/' + keyPath.slice(watchPath.length));
  return after.includes('/_');
}
