import { verdict, type Verdict } from './verdict.js';

/** One change as a watcher received it (etcd v2: action, node.key, node.value, node.modifiedIndex). */
export interface WatchEvent {
  index: number;
  key: string;
  action: string;
  /** The value after the change: null for delete, compareAndDelete and expire. */
  value: string | null;
  /** When it arrived, ms since the run started. */
  atMs: number;
}

/**
 * What one watcher saw, in arrival order. It starts after `afterIndex` and asks each time for the
 * index after the last one it got, so its events must be exactly the changes under its prefix from
 * afterIndex+1 on, in order, with nothing skipped: except where the server answered 401 (the event
 * history was cleared), which the watcher handled by reading the prefix again (quorum) and resuming
 * after that read's etcdIndex; changes in (missedFrom-1, resumeAfter] may then be missing.
 */
export type WatchItem =
  | { kind: 'event'; event: WatchEvent }
  | { kind: 'resync'; missedFrom: number; resumeAfter: number; atMs: number };

export interface WatcherLog {
  id: string;
  /** The watched prefix, e.g. `/chaos` (recursive). */
  prefix: string;
  machine: string;
  afterIndex: number;
  items: WatchItem[];
  /** The last index up to which the watcher's view is complete (the end sentinel's index when it saw it). */
  throughIndex: number;
  /** Whether it saw the sentinel written after every fault was healed. */
  sawSentinel: boolean;
}

/** A change the clients know happened: an acknowledged write, CAS, create or delete, with its index. */
export interface KnownChange {
  index: number;
  key: string;
  /** The value after the change (null for a delete). */
  value: string | null;
}

export interface WatchCheckResult {
  verdict: Verdict;
  /** Every change any watcher saw or any client had acknowledged, by index: the reference log. */
  log: Map<number, WatchEvent | KnownChange>;
  /** The index ranges at least one watcher saw completely. */
  covered: [number, number][];
}

const under = (key: string, prefix: string) => key === prefix || key.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
const normalize = (key: string) => (key.startsWith('/') ? key : `/${key}`);

/** The index ranges a watcher's view is complete over: from afterIndex+1 to throughIndex, minus the resync gaps. */
export function coveredRanges(log: WatcherLog): [number, number][] {
  const ranges: [number, number][] = [];
  let from = log.afterIndex + 1;
  for (const item of log.items) {
    if (item.kind !== 'resync') continue;
    if (item.missedFrom - 1 >= from) ranges.push([from, item.missedFrom - 1]);
    from = Math.max(from, item.resumeAfter + 1);
  }
  if (log.throughIndex >= from) ranges.push([from, log.throughIndex]);
  return ranges;
}

/** Merged, sorted union of inclusive ranges. */
export function unionRanges(ranges: readonly [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

export const inRanges = (ranges: readonly [number, number][], index: number) => ranges.some(([from, to]) => index >= from && index <= to);

/**
 * Watches never skip or reorder: each watcher's indices strictly increase (also across resyncs),
 * every event is under its prefix, two views of one index agree, and each watcher has every change
 * of the reference log (all watchers' events plus the acknowledged changes) under its prefix within
 * the ranges it covers. A watcher that never saw the final sentinel is reported too: after every
 * fault healed, a watch must catch up.
 */
export function checkWatches(watchers: readonly WatcherLog[], known: readonly KnownChange[]): WatchCheckResult {
  const problems: string[] = [];
  const log = new Map<number, WatchEvent | KnownChange>();
  const describe = (change: WatchEvent | KnownChange) => `${'action' in change ? change.action : 'change'} ${change.key}=${change.value === null ? 'null' : JSON.stringify(change.value)} @${change.index}`;
  const remember = (change: WatchEvent | KnownChange, source: string) => {
    const seen = log.get(change.index);
    if (!seen) {
      log.set(change.index, change);
      return;
    }
    if (normalize(seen.key) !== normalize(change.key) || seen.value !== change.value) problems.push(`index ${change.index} is two different changes: ${describe(seen)} and ${describe(change)} (${source})`);
    else if ('action' in change && !('action' in seen)) log.set(change.index, change);
  };
  let events = 0;
  let resyncs = 0;
  for (const watcher of watchers) {
    let last = watcher.afterIndex;
    for (const item of watcher.items) {
      if (item.kind === 'resync') {
        resyncs += 1;
        if (item.missedFrom !== last + 1) problems.push(`${watcher.id}: resync from ${item.missedFrom}, but its last index was ${last}`);
        if (item.resumeAfter < last) problems.push(`${watcher.id}: resync resumes after ${item.resumeAfter}, before its last index ${last}`);
        last = Math.max(last, item.resumeAfter);
        continue;
      }
      events += 1;
      const { event } = item;
      if (event.index <= last) problems.push(`${watcher.id} on ${watcher.machine}: ${describe(event)} arrived after index ${last} (reordered or repeated) at ${(event.atMs / 1000).toFixed(2)} s`);
      if (!under(normalize(event.key), normalize(watcher.prefix))) problems.push(`${watcher.id}: ${describe(event)} is outside its prefix ${watcher.prefix}`);
      last = Math.max(last, event.index);
      remember(event, watcher.id);
    }
    if (!watcher.sawSentinel) problems.push(`${watcher.id} on ${watcher.machine}: never saw the final sentinel (stuck at index ${last} after every fault healed)`);
  }
  for (const change of known) remember(change, 'acknowledged by a client');
  const covered = unionRanges(watchers.flatMap(coveredRanges));
  for (const watcher of watchers) {
    const seen = new Set(watcher.items.flatMap((item) => (item.kind === 'event' ? [item.event.index] : [])));
    const ranges = coveredRanges(watcher);
    const missing = [...log.values()].filter((change) => under(normalize(change.key), normalize(watcher.prefix)) && inRanges(ranges, change.index) && !seen.has(change.index)).sort((a, b) => a.index - b.index);
    if (missing.length > 0) problems.push(`${watcher.id} on ${watcher.machine} skipped ${missing.length} change(s) within the range it watched: ${missing.slice(0, 5).map(describe).join('; ')}${missing.length > 5 ? '; ...' : ''}`);
  }
  const summary = `${watchers.length} watchers, ${events} events, ${resyncs} resyncs after 401, ${log.size} distinct changes in the reference log`;
  return { verdict: verdict('watches never skip or reorder', problems, summary), log, covered };
}
