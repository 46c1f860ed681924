import type { KvSystem } from './args.js';

/** Counters of durable log writes, from a member's Prometheus /metrics. */
export interface SyncCounters {
  syncs: number;
  seconds: number;
  /** Raft entries those syncs carried (kvd counts them; for etcd, committed proposals stand in). */
  entries: number;
}

/** Which counters each system exposes for the same thing. */
const NAMES: Record<KvSystem, { syncs: string; seconds: string; entries: string }> = {
  etcd: { syncs: 'etcd_disk_wal_fsync_duration_seconds_count', seconds: 'etcd_disk_wal_fsync_duration_seconds_sum', entries: 'etcd_server_proposals_committed_total' },
  kvd: { syncs: 'kvd_disk_syncs_total', seconds: 'kvd_disk_sync_seconds_total', entries: 'kvd_disk_synced_entries_total' },
};

function sample(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/** The sync counters in a /metrics text, or undefined when this build does not expose them. */
export function parseSyncCounters(text: string, system: KvSystem): SyncCounters | undefined {
  const names = NAMES[system];
  const syncs = sample(text, names.syncs);
  const seconds = sample(text, names.seconds);
  const entries = sample(text, names.entries);
  if (syncs === undefined || seconds === undefined || entries === undefined) return undefined;
  return { syncs, seconds, entries };
}

export interface SyncSummary {
  syncs: number;
  meanSyncMs: number;
  entriesPerSync: number;
  /** Share of the phase's wall-clock time spent inside syncs. */
  busyShare: number;
}

/** What happened between two readings taken `elapsedSeconds` apart. */
export function summarizeSyncs(before: SyncCounters, after: SyncCounters, elapsedSeconds: number): SyncSummary {
  const syncs = after.syncs - before.syncs;
  const seconds = after.seconds - before.seconds;
  return {
    syncs,
    meanSyncMs: syncs > 0 ? (seconds * 1000) / syncs : 0,
    entriesPerSync: syncs > 0 ? (after.entries - before.entries) / syncs : 0,
    busyShare: elapsedSeconds > 0 ? seconds / elapsedSeconds : 0,
  };
}

export function describeSyncs(summary: SyncSummary): string {
  return `${summary.syncs} disk syncs on the leader, ${summary.meanSyncMs.toFixed(2)} ms each, ${summary.entriesPerSync.toFixed(1)} entries per sync, syncing ${(summary.busyShare * 100).toFixed(0)}% of the time`;
}
