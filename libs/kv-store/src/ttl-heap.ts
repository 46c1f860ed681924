import type { StoreNode } from './node.js';

/**
 * Min-heap of the nodes that have a TTL (etcd's ttlKeyHeap), ordered by expiration and then by path,
 * so that nodes expiring at the same instant always expire in the same order on every member, even
 * after one of them was restored from a snapshot. Each node remembers its slot for O(log n) removal.
 */
export class TtlHeap {
  private readonly items: StoreNode[] = [];

  get size(): number {
    return this.items.length;
  }

  top(): StoreNode | undefined {
    return this.items[0];
  }

  push(node: StoreNode): void {
    node.heapIndex = this.items.length;
    this.items.push(node);
    this.up(node.heapIndex);
  }

  pop(): StoreNode | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(node: StoreNode): void {
    const i = node.heapIndex;
    if (i < 0 || this.items[i] !== node) return;
    const last = this.items.pop()!;
    node.heapIndex = -1;
    if (last === node) return;
    this.items[i] = last;
    last.heapIndex = i;
    if (!this.down(i)) this.up(i);
  }

  /** Restores heap order after `node.expireTime` changed. */
  update(node: StoreNode): void {
    const i = node.heapIndex;
    if (i < 0 || this.items[i] !== node) return;
    if (!this.down(i)) this.up(i);
  }

  private less(a: StoreNode, b: StoreNode): boolean {
    const x = a.expireTime ?? Infinity;
    const y = b.expireTime ?? Infinity;
    return x < y || (x === y && a.path < b.path);
  }

  private up(i: number): void {
    const items = this.items;
    const node = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!this.less(node, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = node;
    node.heapIndex = i;
  }

  /** Returns whether the node moved. */
  private down(start: number): boolean {
    const items = this.items;
    const n = items.length;
    const node = items[start]!;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.less(items[r]!, items[l]!)) c = r;
      const child = items[c]!;
      if (!this.less(child, node)) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = node;
    node.heapIndex = i;
    return i !== start;
  }
}
