import type { NodeView, StoreAction, StoreEvent, StoreStats } from '@minicore/kv-store';

/*
 * The etcd v2 wire types are defined once, by the store that produces them (@minicore/kv-store);
 * the client's names below are those types, as the client hands them out.
 */

/**
 * A node of etcd's v2 keys tree: the wire node with `key` and the indexes always set. Only the root
 * directory comes without them (etcd sends it as `{"dir":true}`), and the client fills them in.
 */
export interface KvNode extends Omit<NodeView, 'key' | 'createdIndex' | 'modifiedIndex' | 'nodes'> {
  key: string;
  createdIndex: number;
  modifiedIndex: number;
  nodes?: KvNode[];
}

export type KvAction = StoreAction;

/** etcd's keys API response body (the store's event). */
export interface KvResponseBody extends Omit<StoreEvent, 'node' | 'prevNode'> {
  node: KvNode;
  prevNode?: KvNode;
}

/** What the cluster's headers say about the moment of the answer. */
export interface KvResponseHeaders {
  /** X-Etcd-Index: the store's index when the answer was made (watch resumption starts after it). */
  etcdIndex: number;
  /** X-Raft-Index, absent on reads that did not go through Raft. */
  raftIndex?: number;
  /** X-Raft-Term. */
  raftTerm?: number;
  /** X-Etcd-Cluster-Id. */
  clusterId?: string;
}

export type KvResponse = KvResponseBody & KvResponseHeaders;

export interface KvMember {
  id: string;
  /** Empty until the member has started and published its name. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}

export interface KvEndpointHealth {
  endpoint: string;
  healthy: boolean;
  /** Why the endpoint is not healthy (unreachable, timeout, `{"health":"false"}`). */
  reason?: string;
}

export interface KvVersion {
  etcdserver: string;
  etcdcluster: string;
}

export interface KvLeaderStats {
  leader: string;
  followers: Record<string, { latency: Record<string, number>; counts: { fail: number; success: number } }>;
}

export interface KvSelfStats {
  name: string;
  id: string;
  state: string;
  startTime: string;
  leaderInfo: { leader: string; uptime: string; startTime: string };
  recvAppendRequestCnt: number;
  sendAppendRequestCnt: number;
  recvPkgRate?: number;
  recvBandwidthRate?: number;
  sendPkgRate?: number;
  sendBandwidthRate?: number;
}

/** etcd's /v2/stats/store counters. */
export type KvStoreStats = StoreStats;
