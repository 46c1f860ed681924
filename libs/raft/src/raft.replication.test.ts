import { describe, expect, it } from 'vitest';
import { Net, persistedWith } from '../test/net.js';
import { NotLeaderError } from './errors.js';
import type { AppendMessage, Entry, Message, NodeId } from './types.js';

function termsOf(net: Net, id: NodeId): number[] {
  return net.node(id).disk.entries.map((e: Entry) => e.term);
}

describe('log replication', () => {
  it('replicates and commits proposals on every node, in order', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    for (const data of ['x', 'y', 'z']) net.raft('a').propose(data);
    net.flush();
    for (const id of ['a', 'b', 'c']) expect(net.node(id).applied).toEqual(['x', 'y', 'z']);
    expect(net.raft('c').status().commit).toBe(7);
  });

  it('refuses proposals on followers and names the leader', () => {
    const net = new Net(['a', 'b', 'c']);
    expect(() => net.raft('b').propose('x')).toThrow(NotLeaderError);
    net.campaign('a');
    try {
      net.raft('b').propose('x');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(NotLeaderError);
      expect((err as NotLeaderError).leader).toBe('a');
    }
  });

  it('commits with a majority while a minority is down', () => {
    const net = new Net(['a', 'b', 'c', 'd', 'e']);
    net.campaign('a');
    net.crash('d');
    net.crash('e');
    net.raft('a').propose('x');
    net.flush();
    expect(net.node('b').applied).toEqual(['x']);
    net.crash('c');
    net.raft('a').propose('y');
    net.flush();
    expect(net.node('a').applied).toEqual(['x']);
  });

  it('proposeMany sends a group of proposals in one append per follower', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.flush();
    const before = net.sent.length;
    expect(net.raft('a').proposeMany(['x', 'y', 'z'])).toBe(net.raft('a').status().lastIndex);
    net.flush();
    const appends = net.sent.slice(before).filter((m): m is AppendMessage => m.type === 'append' && m.entries.length > 0);
    expect(appends.map((m) => [m.to, m.entries.map((e) => e.data)])).toEqual([
      ['b', ['x', 'y', 'z']],
      ['c', ['x', 'y', 'z']],
    ]);
    for (const id of ['a', 'b', 'c']) expect(net.node(id).applied).toEqual(['x', 'y', 'z']);
    expect(() => net.raft('b').proposeMany(['w'])).toThrow(NotLeaderError);
    expect(() => net.raft('b').assertCanPropose()).toThrow(NotLeaderError);
    expect(() => net.raft('a').assertCanPropose()).not.toThrow();
  });

  it('sends at most maxEntriesPerMessage entries per append', () => {
    const net = new Net(['a', 'b', 'c'], { maxEntriesPerMessage: 2 });
    net.campaign('a');
    net.crash('c');
    for (let i = 0; i < 7; i++) net.raft('a').propose(`v${i}`);
    net.flush();
    net.down.delete('c');
    net.tick(['a'], 1);
    const toC = net.sent.filter((m): m is AppendMessage => m.type === 'append' && m.to === 'c');
    expect(Math.max(...toC.map((m) => m.entries.length))).toBe(2);
    expect(net.node('c').applied).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
  });

  it('pipelines at most maxInflightMessages appends to a follower that does not answer', () => {
    const net = new Net(['a', 'b', 'c'], { maxInflightMessages: 3 });
    net.campaign('a');
    expect(net.raft('a').status().progress?.['c']?.state).toBe('replicate');
    net.filter = (m) => (m.type === 'appendResp' && m.from === 'c' ? null : m);
    const before = net.sent.length;
    for (let i = 0; i < 10; i++) {
      net.raft('a').propose(`v${i}`);
      net.flush();
    }
    // Empty appends (commit index updates) do not count against the window.
    const toC = net.sent.slice(before).filter((m) => m.type === 'append' && m.to === 'c' && m.entries.length > 0);
    expect(toC).toHaveLength(3);
    // b answers, so everything commits without c.
    expect(net.node('b').applied).toHaveLength(10);
  });

  it('drops back to probe on a rejection and on reportUnreachable', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.raft('a').reportUnreachable('c');
    expect(net.raft('a').status().progress?.['c']?.state).toBe('probe');
    net.raft('a').propose('x');
    net.flush();
    expect(net.raft('a').status().progress?.['c']?.state).toBe('replicate');
    expect(net.node('c').applied).toEqual(['x']);
  });

  it('repairs followers with missing, extra and conflicting entries (Raft figure 7)', () => {
    const voters = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    // The figure's logs (terms after the 7 bootstrap entries); the leader is in term 8.
    const logs: Record<string, number[]> = {
      a: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
      b: [1, 1, 1, 4, 4, 5, 5, 6, 6],
      c: [1, 1, 1, 4],
      d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      e: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      f: [1, 1, 1, 4, 4, 4, 4],
      g: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    };
    const net = new Net([], { preVote: false, checkQuorum: false });
    for (const id of voters) {
      net.add(id, [], { persisted: persistedWith(voters, logs[id] ?? [], { term: 7, vote: id === 'a' ? 'a' : null }), applied: 7 });
    }
    // a wins term 8 with the votes of the nodes whose logs are not ahead of its own.
    net.cutLink('a', 'e');
    net.cutLink('a', 'd');
    net.campaign('a');
    expect(net.raft('a').status()).toMatchObject({ role: 'leader', term: 8 });
    net.heal();
    net.tick(['a'], 1);
    const expected = [1, 1, 1, 1, 1, 1, 1, ...(logs['a'] ?? []), 8];
    for (const id of voters) expect(termsOf(net, id)).toEqual(expected);
    for (const id of voters) expect(net.raft(id).status().commit).toBe(expected.length);
  });

  it('skips a whole conflicting term per round trip thanks to the reject hint', () => {
    const voters = ['a', 'b', 'c'];
    const net = new Net([], { preVote: false, checkQuorum: false });
    // c holds 30 entries of a term nobody else has; the leader's log has 30 entries of term 3.
    net.add('a', [], { persisted: persistedWith(voters, Array<number>(30).fill(3), { term: 3 }), applied: 3 });
    net.add('b', [], { persisted: persistedWith(voters, Array<number>(30).fill(3), { term: 3 }), applied: 3 });
    net.add('c', [], { persisted: persistedWith(voters, Array<number>(30).fill(2), { term: 3 }), applied: 3 });
    net.campaign('a');
    const rejections = net.sent.filter((m) => m.type === 'appendResp' && m.from === 'c' && m.reject);
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(termsOf(net, 'c')).toEqual(termsOf(net, 'a'));
  });

  it('never commits an entry of an earlier term by counting replicas (Raft figure 8)', () => {
    const voters = ['s1', 's2', 's3', 's4', 's5'];
    const base = voters.length;
    const net = new Net([], { preVote: false, checkQuorum: false, maxEntriesPerMessage: 1 });
    // (b): s1 led term 2 and got its entry at base+1 to s2 only; s5 led term 3 and wrote a different one.
    net.add('s1', [], { persisted: persistedWith(voters, [2], { term: 3 }), applied: base });
    net.add('s2', [], { persisted: persistedWith(voters, [2], { term: 2 }), applied: base });
    net.add('s3', [], { persisted: persistedWith(voters, [], { term: 3 }), applied: base });
    net.add('s4', [], { persisted: persistedWith(voters, [], { term: 3 }), applied: base });
    net.add('s5', [], { persisted: persistedWith(voters, [3], { term: 3 }), applied: base });
    // (c): s1 is elected in term 4 and copies the term-2 entry to s3, but its own term-4 entry goes nowhere.
    net.crash('s5');
    net.filter = (m: Message) => (m.type === 'append' ? { ...m, entries: m.entries.filter((e) => e.term !== 4) } : m);
    net.campaign('s1');
    expect(net.raft('s1').status()).toMatchObject({ role: 'leader', term: 4 });
    for (const id of ['s1', 's2', 's3']) expect(net.raft(id).status().lastIndex).toBeGreaterThanOrEqual(base + 1);
    // The term-2 entry is on a majority, yet it must not count as committed.
    for (const id of ['s1', 's2', 's3', 's4']) expect(net.raft(id).status().commit).toBe(base);
    // (d): s1 crashes; s5 wins term 5 and overwrites index base+1 with its term-3 entry: safe, as it never committed.
    net.crash('s1');
    net.filter = null;
    net.down.delete('s5');
    net.campaign('s5'); // term 4: the others already voted for s1 in it
    net.campaign('s5');
    expect(net.raft('s5').status()).toMatchObject({ role: 'leader', term: 5 });
    for (const id of ['s2', 's3', 's4', 's5']) {
      expect(net.node(id).disk.entries[base]).toMatchObject({ index: base + 1, term: 3 });
      expect(net.raft(id).status().commit).toBe(base + 2);
    }
  });

  it('(figure 8 e) commits the earlier-term entry once an entry of the current term is replicated', () => {
    const voters = ['s1', 's2', 's3', 's4', 's5'];
    const base = voters.length;
    const net = new Net([], { preVote: false, checkQuorum: false });
    net.add('s1', [], { persisted: persistedWith(voters, [2], { term: 3 }), applied: base });
    net.add('s2', [], { persisted: persistedWith(voters, [2], { term: 2 }), applied: base });
    net.add('s3', [], { persisted: persistedWith(voters, [], { term: 3 }), applied: base });
    net.add('s4', [], { persisted: persistedWith(voters, [], { term: 3 }), applied: base });
    net.add('s5', [], { persisted: persistedWith(voters, [3], { term: 3 }), applied: base });
    net.crash('s5');
    net.campaign('s1');
    for (const id of ['s1', 's2', 's3', 's4']) expect(net.raft(id).status().commit).toBe(base + 2);
    expect(net.node('s3').applied).toEqual([`t2-${base + 1}`]);
  });

  it('a node restarted from its persisted state is the same node', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.raft('a').propose('x');
    net.flush();
    net.crash('b');
    net.raft('a').propose('y');
    net.flush();
    const before = net.raft('a').status();
    net.crash('a');
    const a = net.restart('a');
    const after = a.raft.status();
    expect(after).toMatchObject({ term: before.term, vote: before.vote, commit: before.commit, lastIndex: before.lastIndex, role: 'follower' });
    // The app re-applies what its snapshot did not cover.
    expect(a.applied).toEqual(['x', 'y']);
    net.down.delete('b');
    const leader = net.electLeader();
    net.raft(leader).propose('z');
    net.flush();
    for (const id of ['a', 'b', 'c']) expect(net.node(id).applied.slice(-3)).toEqual(['x', 'y', 'z']);
  });
});

describe('Ready and advance', () => {
  it('hands each entry out once for persistence and once for applying', () => {
    const net = new Net(['a']);
    net.campaign('a');
    net.raft('a').propose('x');
    net.flush();
    const readies = net.node('a').readies;
    const persisted = readies.flatMap((rd) => rd.entries.map((e) => e.index));
    const applied = readies.flatMap((rd) => rd.committedEntries.map((e) => e.index));
    expect(persisted).toEqual([1, 2, 3]);
    expect(applied).toEqual([1, 2, 3]);
    expect(net.raft('a').hasReady()).toBe(false);
  });

  it('bootstraps a new cluster with one committed confChange entry per peer', () => {
    const net = new Net(['c', 'a', 'b']);
    const first = net.node('a').readies[0];
    expect(first?.hardState).toEqual({ term: 1, vote: null, commit: 3 });
    expect(first?.entries.map((e) => [e.index, e.type, JSON.parse(e.data) as unknown])).toEqual([
      [1, 'confChange', { type: 'addNode', nodeId: 'a' }],
      [2, 'confChange', { type: 'addNode', nodeId: 'b' }],
      [3, 'confChange', { type: 'addNode', nodeId: 'c' }],
    ]);
    expect(first?.committedEntries).toHaveLength(3);
  });

  it('all messages survive a JSON round trip unchanged', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.raft('a').propose('x');
    net.raft('a').readIndex('r');
    net.flush();
    expect(net.sent.length).toBeGreaterThan(0);
    for (const m of net.sent) expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });
});
