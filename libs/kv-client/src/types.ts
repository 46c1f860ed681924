/** A node of etcd's v2 keys tree, exactly as etcd's JSON carries it. */
export interface KvNode {
  key: string;
  value?: string;
  dir?: boolean;
  nodes?: KvNode[];
  createdIndex: number;
  modifiedIndex: number;
  /** RFC 3339 time the node expires, when it has a TTL. */
  expiration?: string;
  /** Seconds left, when it has a TTL. */
  ttl?: number;
}

export type KvAction = 'get' | 'set' | 'create' | 'update' | 'delete' | 'expire' | 'compareAndSwap' | 'compareAndDelete';

/** etcd's keys API response body. */
export interface KvResponseBody {
  action: KvAction;
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

export interface KvStoreStats {
  getsSuccess: number;
  getsFail: number;
  setsSuccess: number;
  setsFail: number;
  deleteSuccess: number;
  deleteFail: number;
  updateSuccess: number;
  updateFail: number;
  createSuccess: number;
  createFail: number;
  compareAndSwapSuccess: number;
  compareAndSwapFail: number;
  compareAndDeleteSuccess: number;
  compareAndDeleteFail: number;
  expireCount: number;
  watchers: number;
}
