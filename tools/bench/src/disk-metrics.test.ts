import { describe, expect, it } from 'vitest';
import { describeSyncs, parseSyncCounters, summarizeSyncs } from './disk-metrics.js';

const etcdText = `# HELP etcd_disk_wal_fsync_duration_seconds The latency distributions of fsync called by WAL.
# TYPE etcd_disk_wal_fsync_duration_seconds histogram
etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"} 5
etcd_disk_wal_fsync_duration_seconds_sum 7.719424078000014
etcd_disk_wal_fsync_duration_seconds_count 7015
etcd_server_proposals_committed_total 113232
`;
const kvdText = `# HELP kvd_disk_syncs_total Synced write batches of the Raft log
kvd_disk_syncs_total 1187
kvd_disk_sync_seconds_total 6.872889666000043
kvd_disk_synced_entries_total 13027
`;

describe('parseSyncCounters', () => {
  it('reads etcd\'s WAL fsync histogram and committed proposals', () => {
    expect(parseSyncCounters(etcdText, 'etcd')).toEqual({ syncs: 7015, seconds: 7.719424078000014, entries: 113232 });
  });

  it('reads kvd\'s sync counters', () => {
    expect(parseSyncCounters(kvdText, 'kvd')).toEqual({ syncs: 1187, seconds: 6.872889666000043, entries: 13027 });
  });

  it('gives undefined when the counters are not there', () => {
    expect(parseSyncCounters(etcdText, 'kvd')).toBeUndefined();
    expect(parseSyncCounters('', 'etcd')).toBeUndefined();
  });
});

describe('summarizeSyncs', () => {
  it('reports the difference between two readings', () => {
    const summary = summarizeSyncs({ syncs: 9, seconds: 0.2, entries: 7 }, { syncs: 1009, seconds: 5.2, entries: 12007 }, 10);
    expect(summary).toEqual({ syncs: 1000, meanSyncMs: 5, entriesPerSync: 12, busyShare: 0.5 });
    expect(describeSyncs(summary)).toBe('1000 disk syncs on the leader, 5.00 ms each, 12.0 entries per sync, syncing 50% of the time');
  });

  it('copes with no syncs at all', () => {
    const counters = { syncs: 3, seconds: 1, entries: 3 };
    expect(summarizeSyncs(counters, counters, 0)).toEqual({ syncs: 0, meanSyncMs: 0, entriesPerSync: 0, busyShare: 0 });
  });
});
