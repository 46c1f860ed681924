import { describe, expect, it } from 'vitest';
import { Net, persistedWith } from '../test/net.js';
import { RaftNode } from './raft.js';
import type { Message, RaftConfig } from './types.js';

function soloConfig(random: () => number, extra: Partial<RaftConfig> = {}): RaftConfig {
  return {
    id: 'a',
    peers: ['a', 'b', 'c'],
    electionTick: 10,
    heartbeatTick: 1,
    preVote: false,
    checkQuorum: false,
    maxEntriesPerMessage: 10,
    maxInflightMessages: 4,
    random,
    ...extra,
  };
}

describe('leader election', () => {
  it('elects exactly one leader and commits its empty entry everywhere', () => {
    const net = new Net(['a', 'b', 'c']);
    const leader = net.electLeader();
    expect(net.leaders()).toEqual([leader]);
    for (const id of ['a', 'b', 'c']) {
      const s = net.raft(id).status();
      expect(s.leader).toBe(leader);
      // bootstrap: term 1 and entries 1..3; the leader's empty entry of term 2 is at index 4
      expect(s.term).toBe(2);
      expect(s.commit).toBe(4);
    }
  });

  it('campaigns after a randomized timeout in [electionTick, 2*electionTick)', () => {
    for (const r of [0, 0.5, 0.999]) {
      const raft = new RaftNode(soloConfig(() => r));
      raft.advance(raft.ready());
      let ticks = 0;
      while (raft.status().role === 'follower') {
        raft.tick();
        ticks++;
      }
      expect(ticks).toBe(10 + Math.floor(r * 10));
      expect(raft.status().role).toBe('candidate');
      const votes = raft.ready().messages.filter((m) => m.type === 'vote');
      expect(votes.map((m) => m.to).sort()).toEqual(['b', 'c']);
    }
  });

  it('a single-node cluster elects itself at once and commits alone', () => {
    const net = new Net(['a']);
    net.campaign('a');
    expect(net.raft('a').status().role).toBe('leader');
    net.raft('a').propose('x');
    net.flush();
    expect(net.node('a').applied).toEqual(['x']);
  });

  it('does not elect a candidate whose log is behind a majority', () => {
    const voters = ['a', 'b', 'c'];
    const net = new Net([], { preVote: false });
    net.add('a', [], { persisted: persistedWith(voters, [2, 2], { term: 2 }), applied: 3 });
    net.add('b', [], { persisted: persistedWith(voters, [2], { term: 2 }), applied: 3 });
    net.add('c', [], { persisted: persistedWith(voters, [], { term: 2 }), applied: 3 });
    net.campaign('c');
    expect(net.raft('c').status().role).not.toBe('leader');
    net.campaign('a');
    expect(net.raft('a').status().role).toBe('leader');
  });

  it('grants one vote per term, also after a restart', () => {
    const net = new Net(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    net.cutLink('a', 'c');
    net.campaign('b');
    expect(net.raft('a').status().vote).toBe('b');
    net.crash('a');
    const a = net.restart('a');
    expect(a.raft.status()).toMatchObject({ term: 2, vote: 'b' });
    const request: Message = { type: 'vote', from: 'c', to: 'a', term: 2, lastIndex: 100, lastTerm: 9 };
    a.raft.step(request);
    const reply = a.raft.ready().messages.find((m) => m.type === 'voteResp');
    expect(reply).toMatchObject({ to: 'c', reject: true });
  });

  it('a leader steps down when it sees a higher term', () => {
    const net = new Net(['a', 'b', 'c'], { checkQuorum: false });
    net.campaign('a');
    net.raft('a').step({ type: 'heartbeatResp', from: 'b', to: 'a', term: 7 });
    expect(net.raft('a').status()).toMatchObject({ role: 'follower', term: 7, leader: null });
  });

  it('ignores messages from older terms', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    const before = net.raft('b').status();
    net.raft('b').step({ type: 'append', from: 'c', to: 'b', term: 1, prevIndex: 4, prevTerm: 2, entries: [{ term: 1, index: 5, type: 'normal', data: 'old' }], commit: 5 });
    const after = net.raft('b').status();
    expect(after.lastIndex).toBe(before.lastIndex);
    expect(after.leader).toBe('a');
  });

  it('reports role changes through softState', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    const states = net.node('a').readies.flatMap((rd) => (rd.softState ? [rd.softState] : []));
    expect(states.map((s) => s.role)).toEqual(['preCandidate', 'candidate', 'leader']);
    expect(states.at(-1)?.leader).toBe('a');
  });
});

describe('pre-vote', () => {
  it('an isolated follower keeps its term and rejoins without forcing an election', () => {
    const net = new Net(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
    net.campaign('a');
    const term = net.raft('a').status().term;
    net.isolate('c');
    net.tick(undefined, 60);
    expect(net.raft('c').status().term).toBe(term);
    net.heal();
    net.tick(undefined, 3);
    expect(net.leaders()).toEqual(['a']);
    for (const id of ['a', 'b', 'c']) expect(net.raft(id).status()).toMatchObject({ term, leader: 'a' });
  });

  it('without pre-vote the same partition disrupts the cluster when it heals', () => {
    const net = new Net(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    net.campaign('a');
    const term = net.raft('a').status().term;
    net.isolate('c');
    net.tick(undefined, 60);
    expect(net.raft('c').status().term).toBeGreaterThan(term + 1);
    net.heal();
    // c's next vote request carries its inflated term: a must step down for it.
    net.tick(undefined, 25);
    expect(net.raft('a').status().term).toBeGreaterThan(term + 1);
  });

  it('peers that hear from a leader refuse pre-votes, and the pre-candidate does not bump its term', () => {
    const net = new Net(['a', 'b', 'c'], { preVote: true, checkQuorum: false });
    net.campaign('a');
    const term = net.raft('a').status().term;
    net.raft('c').campaign();
    expect(net.raft('c').status().role).toBe('preCandidate');
    net.flush();
    net.tick(undefined, 2);
    expect(net.raft('c').status()).toMatchObject({ term, role: 'follower', leader: 'a' });
    expect(net.raft('a').status()).toMatchObject({ term, role: 'leader' });
  });

  it('a pre-candidate that wins the pre-vote campaigns for real in term + 1', () => {
    const net = new Net(['a', 'b', 'c'], { preVote: true });
    net.campaign('a');
    const term = net.raft('a').status().term;
    net.crash('a');
    net.tick(['b', 'c'], 25);
    const leaders = net.leaders();
    expect(leaders).toHaveLength(1);
    expect(net.raft(leaders[0] ?? '').status().term).toBe(term + 1);
  });
});

describe('checkQuorum', () => {
  it('a leader cut off from a quorum steps down after an election timeout', () => {
    const net = new Net(['a', 'b', 'c'], { checkQuorum: true });
    net.campaign('a');
    net.isolate('a');
    net.tick(['a'], 9);
    expect(net.raft('a').status().role).toBe('leader');
    net.tick(['a'], 11);
    expect(net.raft('a').status()).toMatchObject({ role: 'follower', leader: null });
  });

  it('without checkQuorum an isolated leader keeps believing it leads', () => {
    const net = new Net(['a', 'b', 'c'], { checkQuorum: false });
    net.campaign('a');
    net.isolate('a');
    net.tick(['a'], 50);
    expect(net.raft('a').status().role).toBe('leader');
  });

  it('voters in a leader lease ignore a disruptive vote request with a higher term', () => {
    const net = new Net(['a', 'b', 'c'], { checkQuorum: true, preVote: false });
    net.campaign('a');
    const term = net.raft('a').status().term;
    net.raft('b').step({ type: 'vote', from: 'c', to: 'b', term: term + 5, lastIndex: 99, lastTerm: 99 });
    expect(net.raft('b').status()).toMatchObject({ term, leader: 'a' });
    expect(net.raft('b').hasReady()).toBe(false);
  });
});
