import { Counter, Gauge, type Registry } from 'prom-client';
import type { KvMemberNode } from './member.js';

/**
 * kvd's own metrics, read from the member when Prometheus scrapes (no bookkeeping on the request
 * path): Raft state, disk syncs, proposals and watchers. Names follow etcd's where etcd has one.
 */
export function registerMemberMetrics(registry: Registry, member: KvMemberNode): void {
  const registers = [registry];
  new Gauge({ name: 'kvd_server_has_leader', help: 'Whether a leader is known (1) or not (0)', registers, collect() {
    this.set(member.leader === null ? 0 : 1);
  } });
  new Gauge({ name: 'kvd_server_is_leader', help: 'Whether this member is the leader', registers, collect() {
    this.set(member.leader === member.identity.memberId ? 1 : 0);
  } });
  new Gauge({ name: 'kvd_raft_term', help: 'Current Raft term', registers, collect() {
    this.set(member.status().term);
  } });
  new Gauge({ name: 'kvd_raft_applied_index', help: 'Last Raft index applied to the store', registers, collect() {
    this.set(member.consensus.applied);
  } });
  new Gauge({ name: 'kvd_store_index', help: 'The v2 store index (X-Etcd-Index)', registers, collect() {
    this.set(member.store.index);
  } });
  new Gauge({ name: 'kvd_watchers', help: 'Open watchers', registers, collect() {
    this.set(member.store.stats().watchers);
  } });
  new Counter({ name: 'kvd_server_leader_changes_seen_total', help: 'Leader changes seen by this member', registers, collect() {
    this.reset();
    this.inc(member.counters.leaderChanges);
  } });
  new Counter({ name: 'kvd_server_proposals_failed_total', help: 'Proposals that failed (timeouts, no leader)', registers, collect() {
    this.reset();
    this.inc(member.counters.proposalsFailed);
  } });
  new Counter({ name: 'kvd_disk_syncs_total', help: 'Synced write batches of the Raft log', registers, collect() {
    this.reset();
    this.inc(member.storage.syncs.count);
  } });
  new Counter({ name: 'kvd_disk_sync_seconds_total', help: 'Time spent in synced writes of the Raft log', registers, collect() {
    this.reset();
    this.inc(member.storage.syncs.seconds);
  } });
  new Counter({ name: 'kvd_disk_synced_entries_total', help: 'Raft entries written by synced batches (entries / syncs = batching)', registers, collect() {
    this.reset();
    this.inc(member.storage.syncs.entries);
  } });
}
