import { describe, expect, it } from 'vitest';
import { Net } from '../test/net.js';
import { InvalidConfChangeError, NotLeaderError, ProposalDroppedError } from './errors.js';

describe('leadership transfer', () => {
  it('hands leadership to an up-to-date follower at once, despite leases and pre-vote', () => {
    const net = new Net(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
    net.campaign('a');
    const term = net.raft('a').status().term;
    net.raft('a').transferLeadership('b');
    net.flush();
    expect(net.leaders()).toEqual(['b']);
    expect(net.raft('b').status().term).toBe(term + 1);
    expect(net.raft('a').status()).toMatchObject({ role: 'follower', leader: 'b' });
  });

  it('catches a lagging target up before telling it to campaign', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.crash('c');
    for (let i = 0; i < 5; i++) net.raft('a').propose(`v${i}`);
    net.flush();
    net.down.delete('c');
    net.raft('a').transferLeadership('c');
    net.flush();
    expect(net.leaders()).toEqual(['c']);
    expect(net.node('c').applied).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('drops proposals while transferring and gives up after an election timeout', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.crash('c');
    net.raft('a').transferLeadership('c');
    expect(net.raft('a').status().leadTransferee).toBe('c');
    expect(() => net.raft('a').propose('x')).toThrow(ProposalDroppedError);
    net.tick(['a', 'b'], 10);
    expect(net.raft('a').status()).toMatchObject({ role: 'leader' });
    expect(net.raft('a').status().leadTransferee).toBeUndefined();
    net.raft('a').propose('x');
    net.flush();
    expect(net.node('b').applied).toEqual(['x']);
  });

  it('only a leader transfers, and only to a voter', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    expect(() => net.raft('b').transferLeadership('c')).toThrow(NotLeaderError);
    expect(() => net.raft('a').transferLeadership('zz')).toThrow(InvalidConfChangeError);
    net.raft('a').transferLeadership('a');
    expect(net.raft('a').status().role).toBe('leader');
  });
});
