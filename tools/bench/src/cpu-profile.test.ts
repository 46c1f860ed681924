import { describe, expect, it } from 'vitest';
import { formatHotFunctions, hottestFunctions, type CpuProfile } from './cpu-profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('encode', 'file:///w/node_modules/abstract-level/lib/x.js', 9) },
    { id: 4, callFrame: frame('apply', 'file:///work/main/libs/kv-store/dist/store.js', 41) },
    // the same function reached through another path of the call tree
    { id: 5, callFrame: frame('apply', 'file:///work/main/libs/kv-store/dist/store.js', 41) },
    { id: 6, callFrame: frame('', 'node:internal/streams', 3) },
  ],
  samples: [2, 3, 4, 5, 5, 2, 6],
  timeDeltas: [1000, 2000, 3000, 1000, 1000, 1000, 1000],
};

describe('hottestFunctions', () => {
  it('sums self time per function across call-tree nodes, largest first', () => {
    const hot = hottestFunctions(profile);
    expect(hot.map((f) => [f.where, f.selfMs])).toEqual([
      ['apply libs/kv-store/dist/store.js:42', 5],
      ['(idle)', 2],
      ['encode abstract-level/lib/x.js:10', 2],
      ['(anonymous) node:internal/streams:4', 1],
    ]);
    expect(hot[0]?.percent).toBe(50);
  });

  it('keeps only the top N and copes with an empty profile', () => {
    expect(hottestFunctions(profile, 1)).toHaveLength(1);
    expect(hottestFunctions({ nodes: [] })).toEqual([]);
  });

  it('formats one function a line', () => {
    expect(formatHotFunctions(hottestFunctions(profile, 1))).toBe(' 50.0%        5 ms  apply libs/kv-store/dist/store.js:42');
  });
});
