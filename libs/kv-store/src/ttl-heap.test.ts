import { describe, expect, it } from 'vitest';
import { StoreNode } from './node.js';
import { TtlHeap } from './ttl-heap.js';

describe('TtlHeap', () => {
  it('pops by expiration then path, with removals and updates in between', () => {
    const heap = new TtlHeap();
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const live = new Set<StoreNode>();
    for (let i = 0; i < 3000; i++) {
      const r = rnd(4);
      if (r < 2 || live.size === 0) {
        const n = StoreNode.file(`/k${i}`, i, null, rnd(50), '');
        heap.push(n);
        live.add(n);
      } else {
        const victim = [...live][rnd(live.size)]!;
        if (r === 2) {
          heap.remove(victim);
          heap.remove(victim); // twice is harmless
          live.delete(victim);
          expect(victim.heapIndex).toBe(-1);
        } else {
          victim.expireTime = rnd(50);
          heap.update(victim);
        }
      }
      expect(heap.size).toBe(live.size);
    }
    const expected = [...live].sort((a, b) => a.expireTime! - b.expireTime! || (a.path < b.path ? -1 : 1));
    const popped: StoreNode[] = [];
    for (let n = heap.pop(); n !== undefined; n = heap.pop()) popped.push(n);
    expect(popped).toEqual(expected);
    expect(heap.top()).toBeUndefined();
  });
});
