import { KvError, KvUnavailableError, type KvResponse } from '@minicore/kv-client';
import { describe, expect, it } from 'vitest';
import { describeError, formatListing, formatMemberAdded, formatMemberList, formatResponse, parseDuration, watchEnvironment } from './output-format.js';

const set: KvResponse = { action: 'set', node: { key: '/x', value: '2', createdIndex: 17, modifiedIndex: 17 }, prevNode: { key: '/x', value: '1', createdIndex: 16, modifiedIndex: 16 }, etcdIndex: 17 };
const removed: KvResponse = { action: 'delete', node: { key: '/x', createdIndex: 17, modifiedIndex: 21 }, prevNode: { key: '/x', value: '2', createdIndex: 17, modifiedIndex: 17 }, etcdIndex: 21 };

describe('formatResponse (etcdctl printResponseKey)', () => {
  it('simple prints the value, or the previous value of a deleted key', () => {
    expect(formatResponse(set, 'simple')).toBe('2\n');
    expect(formatResponse(removed, 'simple')).toBe('PrevNode.Value: 2\n');
  });

  it('extended prints the headers, a blank line and the value (no value for a delete)', () => {
    expect(formatResponse(set, 'extended')).toBe('Key: /x\nCreated-Index: 17\nModified-Index: 17\nPrevNode.Value: 1\nTTL: 0\nIndex: 17\n\n2\n');
    expect(formatResponse(removed, 'extended')).toBe('Key: /x\nCreated-Index: 17\nModified-Index: 21\nPrevNode.Value: 2\nTTL: 0\nIndex: 21\n');
  });

  it('json prints etcd\'s response document on one line, without the header fields', () => {
    expect(JSON.parse(formatResponse(set, 'json'))).toEqual({ action: 'set', node: set.node, prevNode: set.prevNode });
  });
});

describe('formatListing (etcdctl ls)', () => {
  const tree: KvResponse = {
    action: 'get',
    etcdIndex: 9,
    node: { key: '/', dir: true, createdIndex: 0, modifiedIndex: 0, nodes: [{ key: '/d', dir: true, createdIndex: 5, modifiedIndex: 5, nodes: [{ key: '/d/a', value: '1', createdIndex: 6, modifiedIndex: 6 }] }, { key: '/foo', value: 'bar', createdIndex: 4, modifiedIndex: 4 }] },
  };
  it('lists children, recursing with -r and marking directories with -p', () => {
    expect(formatListing(tree, 'simple')).toBe('/d\n/foo\n');
    expect(formatListing(tree, 'simple', { recursive: true, slashDirs: true })).toBe('/d/\n/d/a\n/foo\n');
    expect(formatListing({ ...tree, node: { key: '/foo', value: 'bar', createdIndex: 4, modifiedIndex: 4 } }, 'simple')).toBe('/foo\n');
  });
});

describe('member and error output', () => {
  it('lists members like etcdctl, unstarted ones by peer URL only', () => {
    const members = [
      { id: '3a17b8c72c2237c1', name: '', peerURLs: ['http://127.0.0.1:9999'], clientURLs: [] },
      { id: 'bdae9bbc11dd390d', name: 't', peerURLs: ['http://127.0.0.1:23801'], clientURLs: ['http://127.0.0.1:23791'] },
    ];
    expect(formatMemberList(members, 'bdae9bbc11dd390d')).toBe(
      '3a17b8c72c2237c1[unstarted]: peerURLs=http://127.0.0.1:9999\nbdae9bbc11dd390d: name=t peerURLs=http://127.0.0.1:23801 clientURLs=http://127.0.0.1:23791 isLeader=true\n',
    );
    expect(formatMemberAdded('foo', members[0]!, members)).toBe(
      'Added member named foo with ID 3a17b8c72c2237c1 to cluster\n\nETCD_NAME="foo"\nETCD_INITIAL_CLUSTER="foo=http://127.0.0.1:9999,t=http://127.0.0.1:23801"\nETCD_INITIAL_CLUSTER_STATE="existing"\n',
    );
  });

  it('describes etcd errors and unreachable clusters the way etcdctl does', () => {
    expect(describeError(new KvError({ errorCode: 100, message: 'Key not found', cause: '/foo', index: 12 }, 404))).toBe('100: Key not found (/foo) [12]');
    expect(describeError(new KvUnavailableError([{ endpoint: 'http://127.0.0.1:2379', reason: 'ECONNREFUSED', error: new Error() }]))).toBe(
      'client: etcd cluster is unavailable or misconfigured; error #0: http://127.0.0.1:2379: ECONNREFUSED',
    );
  });

  it('gives exec-watch commands etcdctl\'s environment', () => {
    expect(watchEnvironment(removed)).toEqual({ ETCD_WATCH_ACTION: 'delete', ETCD_WATCH_KEY: '/x', ETCD_WATCH_VALUE: '', ETCD_WATCH_MODIFIED_INDEX: '21' });
  });

  it('parses Go durations for --timeout', () => {
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('3')).toBe(3000);
    expect(parseDuration('1x')).toBeUndefined();
    expect(parseDuration('s')).toBeUndefined();
  });
});
