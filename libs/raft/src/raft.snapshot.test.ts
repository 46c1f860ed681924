import { describe, expect, it } from 'vitest';
import { Net } from '../test/net.js';
import { CompactionError } from './errors.js';

describe('snapshots and log compaction', () => {
  it('compact drops covered entries and returns the snapshot to persist', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    for (const v of ['x', 'y']) net.raft('a').propose(v);
    net.flush();
    // indexes: 1-3 bootstrap, 4 the leader's empty entry, 5 x, 6 y
    const snapshot = net.raft('a').compact(5, JSON.stringify(['x']));
    expect(snapshot.meta).toEqual({ index: 5, term: 2, conf: { voters: ['a', 'b', 'c'] } });
    expect(net.raft('a').status()).toMatchObject({ firstIndex: 6, lastIndex: 6 });
  });

  it('refuses to compact unapplied or already compacted indexes', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    expect(() => net.raft('a').compact(9, '')).toThrow(CompactionError);
    net.raft('a').compact(4, '[]');
    expect(() => net.raft('a').compact(3, '')).toThrow(CompactionError);
  });

  it('sends a snapshot to a follower whose next entry was compacted, then resumes from the log', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.crash('c');
    for (let i = 0; i < 20; i++) net.raft('a').propose(`v${i}`);
    net.flush();
    net.compact('a');
    expect(net.raft('a').status().firstIndex).toBe(25);
    net.down.delete('c');
    net.tick(['a'], 1);
    expect(net.messagesOf('snapshot').map((m) => m.to)).toEqual(['c']);
    expect(net.node('c').applied).toHaveLength(20);
    expect(net.raft('c').status()).toMatchObject({ commit: 24, firstIndex: 25 });
    net.raft('a').propose('after');
    net.flush();
    expect(net.node('c').applied.at(-1)).toBe('after');
    expect(net.raft('a').status().progress?.['c']?.state).toBe('replicate');
  });

  it('resends a lost snapshot after an election timeout', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.crash('c');
    for (let i = 0; i < 5; i++) net.raft('a').propose(`v${i}`);
    net.flush();
    net.compact('a');
    net.down.delete('c');
    net.filter = (m) => (m.type === 'snapshot' ? null : m);
    net.tick(['a'], 2);
    expect(net.raft('a').status().progress?.['c']?.state).toBe('snapshot');
    net.filter = null;
    net.tick(['a'], 10);
    expect(net.messagesOf('snapshot').length).toBeGreaterThanOrEqual(2);
    expect(net.node('c').applied).toHaveLength(5);
  });

  it('a node restarted from snapshot plus entries recovers state, log and membership', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    for (let i = 0; i < 4; i++) net.raft('a').propose(`v${i}`);
    net.flush();
    net.compact('b');
    net.raft('a').propose('tail');
    net.flush();
    const before = net.raft('b').status();
    net.crash('b');
    const b = net.restart('b');
    expect(b.raft.status()).toMatchObject({ term: before.term, commit: before.commit, firstIndex: before.firstIndex, lastIndex: before.lastIndex });
    expect(b.raft.status().voters).toEqual(['a', 'b', 'c']);
    expect(b.applied).toEqual(['v0', 'v1', 'v2', 'v3', 'tail']);
  });

  it('a follower that already has the snapshot index only fast-forwards its commit', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.raft('a').propose('x');
    net.flush();
    const snapshot = net.raft('a').compact(5, JSON.stringify(['x']));
    const lastIndex = net.raft('b').status().lastIndex;
    net.raft('b').step({ type: 'snapshot', from: 'a', to: 'b', term: 2, snapshot });
    net.flush();
    expect(net.raft('b').status()).toMatchObject({ firstIndex: 1, lastIndex });
  });
});
