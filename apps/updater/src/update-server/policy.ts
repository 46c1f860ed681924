import { AppStatus } from '@minicore/omaha';
import type { InstanceRecord, RolloutPolicy } from '../api/types.js';

/** Nebraska counts an instance in lists and stats only if it checked in within a day. */
export const VALIDITY_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Nebraska skips the stats query for "unlimited" groups without safe mode. */
const UNLIMITED = 900_000;

export interface PolicyStats {
  /** Instances ever granted this version. */
  attempted: number;
  grantedInLastPeriod: number;
  /** Granted, not finished, within the update timeout. */
  inProgress: number;
  /** Granted, not finished, past the update timeout. */
  timedOut: number;
  /** Running this version. */
  updated: number;
}

/**
 * The policy's figures by counting every instance: the definition. Update checks read the same
 * figures from GroupCounters (kept per group as instances change), which its tests hold to this.
 */
export function computeStats(instances: Iterable<InstanceRecord>, group: string, version: string, policy: RolloutPolicy, now: number): PolicyStats {
  const stats: PolicyStats = { attempted: 0, grantedInLastPeriod: 0, inProgress: 0, timedOut: 0, updated: 0 };
  for (const instance of instances) {
    if (instance.group !== group) continue;
    if (instance.version === version) stats.updated++;
    const granted = instance.lastUpdateGrantedAt === null ? undefined : Date.parse(instance.lastUpdateGrantedAt);
    if (granted !== undefined && now - granted < policy.periodMs) stats.grantedInLastPeriod++;
    if (instance.lastUpdateVersion !== version) continue;
    stats.attempted++;
    if (!instance.updateInProgress || granted === undefined) continue;
    if (now - granted < policy.updateTimeoutMs) stats.inProgress++;
    else stats.timedOut++;
  }
  return stats;
}

/** Monday to Friday, 09:00 to 17:00 in the group's timezone. */
export function withinOfficeHours(now: Date, timezone: string): boolean {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' }).formatToParts(now);
  const weekday = parts.find((part) => part.type === 'weekday')?.value ?? '';
  const hour = Number(parts.find((part) => part.type === 'hour')?.value ?? '0');
  return !['Sat', 'Sun'].includes(weekday) && hour >= 9 && hour < 17;
}

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

export type PolicyVerdict =
  | { grant: true }
  | {
      grant: false;
      /** The `<app status>` to answer with. */
      status: string;
      /** The instance goes to OnHold (rate limits), or keeps its status (updates disabled). */
      onHold: boolean;
      /** Safe mode tripped: the group's updates get switched off. */
      disableUpdates: boolean;
    };

/**
 * Nebraska's rollout policy (research notes §4.2 step 5), in its order: updates disabled, office
 * hours, then the per-period limit, the concurrency limit and the safe-mode timeout check, where
 * safe mode allows a single update until someone has attempted the version.
 */
export function decidePolicy(policy: RolloutPolicy, stats: () => PolicyStats, now: Date): PolicyVerdict {
  if (!policy.updatesEnabled) return { grant: false, status: AppStatus.UpdatesDisabled, onHold: false, disableUpdates: false };
  if (policy.officeHours && !withinOfficeHours(now, policy.timezone)) return { grant: false, status: AppStatus.UpdatesDisabled, onHold: false, disableUpdates: false };
  if (policy.maxUpdatesPerPeriod >= UNLIMITED && !policy.safeMode) return { grant: true };
  const current = stats();
  const max = policy.safeMode && current.attempted === 0 ? 1 : policy.maxUpdatesPerPeriod;
  if (current.grantedInLastPeriod >= max) return { grant: false, status: AppStatus.MaxUpdatesPerPeriodLimitReached, onHold: true, disableUpdates: false };
  if (current.inProgress >= max) return { grant: false, status: AppStatus.MaxConcurrentUpdatesLimitReached, onHold: true, disableUpdates: false };
  if (policy.safeMode && current.timedOut >= max) return { grant: false, status: AppStatus.MaxTimedOutUpdatesLimitReached, onHold: false, disableUpdates: true };
  return { grant: true };
}
