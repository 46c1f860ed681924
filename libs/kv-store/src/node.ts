import type { NodeView } from './types.js';

/**
 * One node of the store tree (etcd's `node`): a key with a value, or a directory with children.
 * Children live in a Map so that a lookup costs O(depth) and listings keep insertion order.
 */
export class StoreNode {
  /** Position in the TTL heap, or -1 when the node is permanent. */
  heapIndex = -1;

  constructor(
    readonly path: string,
    public createdIndex: number,
    public modifiedIndex: number,
    public parent: StoreNode | null,
    /** Expiration time in ms since the epoch; null for a permanent node. */
    public expireTime: number | null,
    public value: string,
    readonly children: Map<string, StoreNode> | null,
  ) {}

  static file(path: string, index: number, parent: StoreNode | null, expireTime: number | null, value: string): StoreNode {
    return new StoreNode(path, index, index, parent, expireTime, value, null);
  }

  static dir(path: string, index: number, parent: StoreNode | null, expireTime: number | null): StoreNode {
    return new StoreNode(path, index, index, parent, expireTime, '', new Map());
  }

  get isDir(): boolean {
    return this.children !== null;
  }

  get name(): string {
    return this.path.slice(this.path.lastIndexOf('/') + 1);
  }

  /** Hidden nodes (name starting with `_`) are left out of directory listings. */
  get isHidden(): boolean {
    return this.path.charCodeAt(this.path.lastIndexOf('/') + 1) === 95; /* _ */
  }
}

/**
 * Go's RFC3339Nano as used by encoding/json for time.Time in UTC: trailing zeros of the fraction are
 * dropped, and so is the dot when the fraction is zero (`2024-01-01T00:00:05.5Z`, `...:05Z`).
 */
export function formatExpiration(ms: number): string {
  const whole = Math.floor(ms);
  const seconds = Math.floor(whole / 1000) * 1000;
  const head = new Date(seconds).toISOString().slice(0, 19);
  const nanos = Math.round((ms - seconds) * 1e6);
  if (nanos === 0) return head + 'Z';
  return head + '.' + String(nanos).padStart(9, '0').replace(/0+$/, '') + 'Z';
}

/** Remaining seconds as etcd shows them: the ceiling of (expiration - now) in seconds. */
export function remainingTTL(expireTime: number, now: number): number {
  const ttl = Math.ceil((expireTime - now) / 1000);
  return ttl === 0 ? 0 : ttl; // no -0
}

/**
 * Builds a NodeView with etcd's JSON field order (key, value, dir, expiration, ttl, nodes,
 * modifiedIndex, createdIndex) and Go's omitempty rules: an empty key (the root), a zero ttl, empty
 * `nodes` and zero indices are left out; an empty value is kept.
 */
export function makeView(
  key: string,
  value: string | undefined,
  dir: boolean,
  expireTime: number | null,
  now: number,
  nodes: NodeView[] | undefined,
  modifiedIndex: number,
  createdIndex: number,
): NodeView {
  const view: NodeView = {};
  if (key !== '/') view.key = key;
  if (value !== undefined) view.value = value;
  if (dir) view.dir = true;
  if (expireTime !== null) {
    view.expiration = formatExpiration(expireTime);
    const ttl = remainingTTL(expireTime, now);
    if (ttl !== 0) view.ttl = ttl;
  }
  if (nodes !== undefined && nodes.length > 0) view.nodes = nodes;
  if (modifiedIndex !== 0) view.modifiedIndex = modifiedIndex;
  if (createdIndex !== 0) view.createdIndex = createdIndex;
  return view;
}

/** etcd's `node.Repr`: a directory's children only when `recursive`. */
export function reprNode(n: StoreNode, recursive: boolean, sorted: boolean, now: number): NodeView {
  if (n.children === null) {
    return makeView(n.path, n.value, false, n.expireTime, now, undefined, n.modifiedIndex, n.createdIndex);
  }
  const nodes = recursive ? listChildren(n, recursive, sorted, now) : undefined;
  return makeView(n.path, undefined, true, n.expireTime, now, nodes, n.modifiedIndex, n.createdIndex);
}

/** etcd's `loadInternalNode` (what a GET shows): a directory always lists its direct children. */
export function loadNode(n: StoreNode, recursive: boolean, sorted: boolean, now: number): NodeView {
  if (n.children === null) return reprNode(n, false, false, now);
  const nodes = listChildren(n, recursive, sorted, now);
  return makeView(n.path, undefined, true, n.expireTime, now, nodes, n.modifiedIndex, n.createdIndex);
}

function listChildren(n: StoreNode, recursive: boolean, sorted: boolean, now: number): NodeView[] {
  const nodes: NodeView[] = [];
  // `children` is non-null for directories, the only callers.
  for (const child of n.children!.values()) {
    if (child.isHidden) continue;
    nodes.push(reprNode(child, recursive, sorted, now));
  }
  if (sorted) nodes.sort(compareViews);
  return nodes;
}

// Go sorts by key with byte-wise string comparison; keys here always exist on child views.
function compareViews(a: NodeView, b: NodeView): number {
  const x = a.key ?? '';
  const y = b.key ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}
