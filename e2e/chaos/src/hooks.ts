import type { Verdict } from '@minicore/chaos-checkers';
import type { Machines } from './machines.js';

/**
 * A checker of another component, run against the same fault schedule: `start` before the load
 * begins (e.g. launch units), `check` after every fault healed. The runner calls every hook in
 * CHECKER_HOOKS; their verdicts join the kv ones in the report and the CI JSON.
 */
export interface CheckerHook {
  name: string;
  start(machines: Machines): Promise<void>;
  check(machines: Machines): Promise<Verdict[]>;
}

/**
 * Empty for now. The vagrant machines run schedulerd and updaterd since the demo cluster grew them,
 * but no hook is written yet; what each would check is in NOT_CHECKED.
 */
export const CHECKER_HOOKS: CheckerHook[] = [];

export const NOT_CHECKED = [
  'scheduler: no unit running on two machines at once after partitions heal, and every launched unit running somewhere within its TTL + 10 s. Not written yet (a CheckerHook in e2e/chaos/src/hooks.ts): start N units with distinct commands through schedctl before the load, then after the heal poll every machine (docker exec: ps, or the unit container label) until each unit runs on exactly one machine, failing on two',
  'updater: never more machines rebooting at once than the locksmith semaphore max. Not written yet (same hook): publish a release to update-server before the load, record each machine container\'s restarts (docker events) and the semaphore holders in kv, and check the overlap of reboot windows',
  'slow disk / full disk: not injected. The machines are docker containers whose disk is the host overlayfs (no block device of their own), and the host has cgroup v1, whose blkio throttle does not slow buffered writes; filling the disk would fill the host. Needs a per-machine size-limited volume for /var/lib/minicore (a vagrant change)',
  'clock jump: not injected. Containers share the host kernel clock (changing it needs CAP_SYS_TIME and would move the host and every other machine), and the node image has no libfaketime to shift one process clock',
];
