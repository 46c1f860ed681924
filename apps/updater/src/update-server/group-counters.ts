import type { InstanceRecord } from '../api/types.js';
import type { PolicyStats } from './policy.js';

/**
 * The rollout policy's figures per group, kept up to date as instances change, so that an update
 * check reads them in O(log n) instead of looping over every instance of the group (computeStats).
 * They give exactly what computeStats gives over all instances of the group: the time-dependent
 * figures (granted within the period, in progress within the update timeout) are kept as sorted
 * grant times and counted against `now` when asked, so a changed period or timeout needs no rebuild.
 *
 * Fed by every stored instance (`track`), including the ones loaded at start, so they are rebuilt
 * from the stored instances whenever update-server restarts.
 */

/** What one instance adds to its group's figures. */
interface Contribution {
  group: string;
  version: string;
  /** lastUpdateGrantedAt as stored, and parsed. */
  grantedAtText: string | null;
  grantedAt: number | undefined;
  lastUpdateVersion: string | null;
  /** updateInProgress with a grant time: counted as in progress or timed out. */
  inProgress: boolean;
}

interface VersionFigures {
  /** Instances whose last granted update is this version. */
  attempted: number;
  /** Grant times of those still in progress, ascending. */
  inProgressGrants: number[];
}

interface GroupFigures {
  /** Grant times of every member with one, ascending. */
  grants: number[];
  byVersion: Map<string, VersionFigures>;
  /** Members running each version. */
  running: Map<string, number>;
}

/** Index of the first element > `value` in an ascending array. */
function upperBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

function insertSorted(sorted: number[], value: number): void {
  // Grants mostly arrive in time order: appending is the common case.
  if (sorted.length === 0 || sorted[sorted.length - 1]! <= value) sorted.push(value);
  else sorted.splice(upperBound(sorted, value), 0, value);
}

function removeSorted(sorted: number[], value: number): void {
  const at = upperBound(sorted, value) - 1;
  if (at >= 0 && sorted[at] === value) sorted.splice(at, 1);
  else throw new Error(`group counters out of step: grant time ${value} not found`);
}

/**
 * As computeStats reads it. A grant time that does not parse (never written by update-server) is
 * in no period and, while in progress, timed out: -Infinity sorts it there.
 */
function grantTime(instance: InstanceRecord): number | undefined {
  if (instance.lastUpdateGrantedAt === null) return undefined;
  const at = Date.parse(instance.lastUpdateGrantedAt);
  return Number.isNaN(at) ? Number.NEGATIVE_INFINITY : at;
}

export class GroupCounters {
  readonly #groups = new Map<string, GroupFigures>();
  readonly #contributions = new Map<string, Contribution>();

  /** Brings the figures in line with `instance` as it is now (call after every change; repeats are harmless). */
  track(instance: InstanceRecord): void {
    const instanceKey = `${instance.appId}/${instance.machineId}`;
    const before = this.#contributions.get(instanceKey);
    // Most check-ins change none of this: answer those without building anything.
    if (before && unchanged(before, instance)) return;
    const after = this.#contributionOf(instance);
    if (before && after && sameContribution(before, after)) return;
    if (before) this.#apply(instance.appId, before, -1);
    if (after) {
      this.#apply(instance.appId, after, 1);
      this.#contributions.set(instanceKey, after);
    } else this.#contributions.delete(instanceKey);
  }

  /** The policy figures of `group` for `version` at `now`, as computeStats counts them. */
  stats(appId: string, group: string, version: string, periodMs: number, updateTimeoutMs: number, now: number): PolicyStats {
    const figures = this.#groups.get(groupKey(appId, group));
    if (!figures) return { attempted: 0, grantedInLastPeriod: 0, inProgress: 0, timedOut: 0, updated: 0 };
    const forVersion = figures.byVersion.get(version);
    const inProgressGrants = forVersion?.inProgressGrants ?? [];
    // computeStats: `now - granted < periodMs`, i.e. granted > now - periodMs.
    const timedOut = upperBound(inProgressGrants, now - updateTimeoutMs);
    return {
      attempted: forVersion?.attempted ?? 0,
      grantedInLastPeriod: figures.grants.length - upperBound(figures.grants, now - periodMs),
      inProgress: inProgressGrants.length - timedOut,
      timedOut,
      updated: figures.running.get(version) ?? 0,
    };
  }

  #contributionOf(instance: InstanceRecord): Contribution | undefined {
    if (instance.group === null) return undefined;
    const grantedAt = grantTime(instance);
    return { group: instance.group, version: instance.version, grantedAtText: instance.lastUpdateGrantedAt, grantedAt, lastUpdateVersion: instance.lastUpdateVersion, inProgress: instance.updateInProgress && grantedAt !== undefined };
  }

  #apply(appId: string, contribution: Contribution, sign: 1 | -1): void {
    const key = groupKey(appId, contribution.group);
    let figures = this.#groups.get(key);
    if (!figures) {
      figures = { grants: [], byVersion: new Map(), running: new Map() };
      this.#groups.set(key, figures);
    }
    const running = (figures.running.get(contribution.version) ?? 0) + sign;
    if (running === 0) figures.running.delete(contribution.version);
    else figures.running.set(contribution.version, running);
    if (contribution.grantedAt !== undefined && contribution.grantedAt !== Number.NEGATIVE_INFINITY) (sign > 0 ? insertSorted : removeSorted)(figures.grants, contribution.grantedAt);
    if (contribution.lastUpdateVersion !== null) {
      let forVersion = figures.byVersion.get(contribution.lastUpdateVersion);
      if (!forVersion) {
        forVersion = { attempted: 0, inProgressGrants: [] };
        figures.byVersion.set(contribution.lastUpdateVersion, forVersion);
      }
      forVersion.attempted += sign;
      if (contribution.inProgress) (sign > 0 ? insertSorted : removeSorted)(forVersion.inProgressGrants, contribution.grantedAt!);
      if (forVersion.attempted === 0) figures.byVersion.delete(contribution.lastUpdateVersion);
    }
    if (figures.grants.length === 0 && figures.byVersion.size === 0 && figures.running.size === 0) this.#groups.delete(key);
  }
}

const groupKey = (appId: string, group: string) => `${appId}/${group}`;

function unchanged(before: Contribution, instance: InstanceRecord): boolean {
  return (
    before.group === instance.group &&
    before.version === instance.version &&
    before.lastUpdateVersion === instance.lastUpdateVersion &&
    before.inProgress === (instance.updateInProgress && instance.lastUpdateGrantedAt !== null) &&
    before.grantedAtText === instance.lastUpdateGrantedAt
  );
}

function sameContribution(a: Contribution, b: Contribution): boolean {
  return a.group === b.group && a.version === b.version && a.grantedAt === b.grantedAt && a.lastUpdateVersion === b.lastUpdateVersion && a.inProgress === b.inProgress;
}
