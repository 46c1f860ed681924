import { describe, expect, it } from 'vitest';
import { Net } from '../test/net.js';
import { ConfChangePendingError, InvalidConfChangeError } from './errors.js';

describe('membership changes', () => {
  it('adds a node that starts empty and catches up from the leader', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.raft('a').propose('x');
    net.flush();
    net.add('d', []);
    expect(net.raft('d').status().voters).toEqual([]);
    net.raft('a').proposeConfChange({ type: 'addNode', nodeId: 'd', context: 'http://d' });
    net.flush();
    net.tick(['a'], 1);
    for (const id of ['a', 'b', 'c', 'd']) expect(net.raft(id).status().voters).toEqual(['a', 'b', 'c', 'd']);
    expect(net.node('d').applied).toEqual(['x']);
    net.raft('a').propose('y');
    net.flush();
    expect(net.node('d').applied).toEqual(['x', 'y']);
  });

  it('a new node learns the membership from a snapshot when the log was compacted', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.raft('a').propose('x');
    net.flush();
    net.compact('a');
    net.add('d', []);
    net.raft('a').proposeConfChange({ type: 'addNode', nodeId: 'd' });
    net.flush();
    net.tick(['a'], 1);
    expect(net.messagesOf('snapshot').map((m) => m.to)).toEqual(['d']);
    expect(net.raft('d').status().voters).toEqual(['a', 'b', 'c', 'd']);
    expect(net.node('d').applied).toEqual(['x']);
  });

  it('removes a follower and commits with the smaller quorum', () => {
    const net = new Net(['a', 'b', 'c', 'd']);
    net.campaign('a');
    net.raft('a').proposeConfChange({ type: 'removeNode', nodeId: 'd' });
    net.flush();
    expect(net.raft('a').status().voters).toEqual(['a', 'b', 'c']);
    expect(Object.keys(net.raft('a').status().progress ?? {})).toEqual(['a', 'b', 'c']);
    net.crash('d');
    net.crash('c');
    net.raft('a').propose('x');
    net.flush();
    // 2 of 3 is a quorum now; with d still a voter it would have been 2 of 4.
    expect(net.node('b').applied).toEqual(['x']);
  });

  it('a removed leader steps down once its removal is applied and hands over at once', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.raft('a').proposeConfChange({ type: 'removeNode', nodeId: 'a' });
    net.flush();
    expect(net.raft('a').status()).toMatchObject({ role: 'follower', voters: ['b', 'c'] });
    expect(net.messagesOf('timeoutNow').length).toBe(1);
    const leaders = net.leaders();
    expect(leaders).toHaveLength(1);
    expect(leaders[0]).not.toBe('a');
    // a is no longer a voter: it never campaigns again.
    net.tick(['a'], 50);
    expect(net.raft('a').status().role).toBe('follower');
  });

  it('allows one pending change at a time', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.crash('b');
    net.crash('c');
    net.raft('a').proposeConfChange({ type: 'addNode', nodeId: 'd' });
    expect(() => net.raft('a').proposeConfChange({ type: 'addNode', nodeId: 'e' })).toThrow(ConfChangePendingError);
    net.down.delete('b');
    net.tick(['a'], 1);
    net.raft('a').proposeConfChange({ type: 'addNode', nodeId: 'e' });
  });

  it('a new leader accepts no change until an entry of its term is applied', () => {
    const net = new Net(['x', 'y', 'z']);
    net.filter = (m) => (m.type === 'appendResp' ? null : m);
    net.campaign('x');
    expect(net.raft('x').status().role).toBe('leader');
    expect(() => net.raft('x').proposeConfChange({ type: 'addNode', nodeId: 'w' })).toThrow(ConfChangePendingError);
  });

  it('rejects changes that make no sense', () => {
    const net = new Net(['a', 'b']);
    net.campaign('a');
    expect(() => net.raft('a').proposeConfChange({ type: 'addNode', nodeId: 'b' })).toThrow(InvalidConfChangeError);
    expect(() => net.raft('a').proposeConfChange({ type: 'removeNode', nodeId: 'zz' })).toThrow(InvalidConfChangeError);
    const solo = new Net(['a']);
    solo.campaign('a');
    expect(() => solo.raft('a').proposeConfChange({ type: 'removeNode', nodeId: 'a' })).toThrow(InvalidConfChangeError);
  });

  it('applyConfChange is idempotent, so re-applying after a restart is harmless', () => {
    const net = new Net(['a', 'b', 'c']);
    expect(net.raft('a').applyConfChange({ type: 'addNode', nodeId: 'a' })).toEqual({ voters: ['a', 'b', 'c'] });
    expect(net.raft('a').applyConfChange({ type: 'removeNode', nodeId: 'q' })).toEqual({ voters: ['a', 'b', 'c'] });
  });

  it('a restarted node recovers membership from the snapshot conf plus later conf entries', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.add('d', []);
    net.raft('a').proposeConfChange({ type: 'addNode', nodeId: 'd' });
    net.flush();
    net.compact('b');
    net.raft('a').proposeConfChange({ type: 'removeNode', nodeId: 'c' });
    net.flush();
    expect(net.raft('b').status().voters).toEqual(['a', 'b', 'd']);
    net.crash('b');
    // Restarted with applied = its snapshot index, the node re-applies the later removal itself...
    const b = net.restart('b');
    expect(b.raft.status().voters).toEqual(['a', 'b', 'd']);
    // ...and restarted with everything applied, it folds the conf entries of its log on its own.
    net.crash('b');
    const b2 = net.restart('b', { applied: net.node('b').disk.hardState.commit });
    expect(b2.raft.status().voters).toEqual(['a', 'b', 'd']);
  });

  it('ignores replies from nodes that are not members', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    const before = net.raft('a').status();
    net.raft('a').step({ type: 'appendResp', from: 'zz', to: 'a', term: before.term, index: 100, reject: false, rejectHint: 0, rejectTerm: 0 });
    net.raft('a').step({ type: 'heartbeatResp', from: 'zz', to: 'a', term: before.term });
    expect(net.raft('a').status()).toEqual(before);
  });
});
