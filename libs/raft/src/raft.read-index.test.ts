import { describe, expect, it } from 'vitest';
import { Net } from '../test/net.js';
import { NotLeaderError } from './errors.js';

describe('ReadIndex', () => {
  it('the leader confirms its leadership with a heartbeat quorum before answering', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.raft('a').propose('x');
    net.flush();
    net.raft('a').readIndex('r1');
    // Nothing until the heartbeat round carrying the request id comes back.
    net.filter = (m) => (m.type === 'heartbeatResp' ? null : m);
    net.flush();
    expect(net.node('a').readStates).toEqual([]);
    net.filter = null;
    net.tick(['a'], 1);
    expect(net.node('a').readStates).toEqual([{ index: 5, requestId: 'r1' }]);
  });

  it('a follower forwards the request and gets the leader commit index', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.raft('b').readIndex('r2');
    net.flush();
    expect(net.messagesOf('readIndex')).toHaveLength(1);
    expect(net.node('b').readStates).toEqual([{ index: 4, requestId: 'r2' }]);
  });

  it('throws NotLeaderError when no leader is known', () => {
    const net = new Net(['a', 'b', 'c']);
    expect(() => net.raft('a').readIndex('r')).toThrow(NotLeaderError);
  });

  it('a new leader waits until an entry of its term is committed', () => {
    const net = new Net(['a', 'b', 'c']);
    net.filter = (m) => (m.type === 'appendResp' ? null : m);
    net.campaign('a');
    expect(net.raft('a').status().role).toBe('leader');
    net.raft('a').readIndex('early');
    net.tick(['a'], 2);
    expect(net.node('a').readStates).toEqual([]);
    net.filter = null;
    net.tick(['a'], 2);
    expect(net.node('a').readStates).toEqual([{ index: 4, requestId: 'early' }]);
  });

  it('a leader cut off from the quorum never answers', () => {
    const net = new Net(['a', 'b', 'c'], { checkQuorum: false });
    net.campaign('a');
    net.isolate('a');
    net.raft('a').readIndex('stale');
    net.tick(['a'], 30);
    expect(net.raft('a').status().role).toBe('leader');
    expect(net.node('a').readStates).toEqual([]);
  });

  it('a heartbeat ack for a later request confirms earlier ones too', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.filter = (m) => (m.type === 'heartbeat' && m.context === 'r1' ? null : m);
    net.raft('a').readIndex('r1');
    net.flush();
    net.raft('a').readIndex('r2');
    net.flush();
    expect(net.node('a').readStates.map((r) => r.requestId)).toEqual(['r1', 'r2']);
  });

  it('a single-node cluster answers at once', () => {
    const net = new Net(['a']);
    net.campaign('a');
    net.raft('a').readIndex('solo');
    net.flush();
    expect(net.node('a').readStates).toEqual([{ index: 2, requestId: 'solo' }]);
  });
});
