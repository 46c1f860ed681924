import { describe, expect, it } from 'vitest';
import { InitialClusterError, clusterIdOf, memberIdOf, parseInitialCluster } from './membership.js';

describe('membership', () => {
  it('parses --initial-cluster into members with ids derived from peer URLs and token', () => {
    const members = parseInitialCluster('a=http://127.0.0.11:2380,b=http://127.0.0.12:2380/,a=http://127.0.0.11:7001', 'tok');
    expect(members.map((m) => [m.name, m.peerURLs])).toEqual([
      ['a', ['http://127.0.0.11:2380', 'http://127.0.0.11:7001']],
      ['b', ['http://127.0.0.12:2380']],
    ]);
    expect(members[0]?.id).toBe(memberIdOf(['http://127.0.0.11:7001', 'http://127.0.0.11:2380'], 'tok'));
    expect(members[0]?.id).toMatch(/^[0-9a-f]{1,16}$/);
  });

  it('gives other ids for another cluster token, and a cluster id independent of order', () => {
    expect(memberIdOf(['http://x:1'], 'one')).not.toBe(memberIdOf(['http://x:1'], 'two'));
    expect(clusterIdOf(['a', 'b'], 't')).toBe(clusterIdOf(['b', 'a'], 't'));
  });

  it('rejects malformed entries, empty lists and shared peer URLs', () => {
    expect(() => parseInitialCluster('a', 't')).toThrow(InitialClusterError);
    expect(() => parseInitialCluster('a=ftp://x:1', 't')).toThrow('"a=ftp://x:1" is not name=http://host:port');
    expect(() => parseInitialCluster(' , ', 't')).toThrow('names no member');
    expect(() => parseInitialCluster('a=http://x:1,b=http://x:1', 't')).toThrow('share the peer URL http://x:1');
  });
});
