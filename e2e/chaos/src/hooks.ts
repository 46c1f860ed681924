import type { FaultRecord, Verdict } from '@minicore/chaos-checkers';
import type { Machines } from './machines.js';

/** What a hook learns once the run is over. */
export interface RunOutcome {
  faults: FaultRecord[];
  /** When every fault had been healed (run ms). */
  healedAtMs: number;
  /** When kv acknowledged operations (run ms): where none came for a while, it had no quorum. */
  quorumEvidence: number[];
}

/**
 * A checker of another component, run against the same fault schedule: `prepare` before the clock
 * starts (launch units, publish a release), `begin` when the load starts (start recording), `check`
 * after every fault healed and the quiet period ran. Their verdicts join the kv ones in the report
 * and the CI JSON, their figures get a section of the report.
 */
export interface CheckerHook {
  name: string;
  prepare(machines: Machines, log: (line: string) => void): Promise<void>;
  begin(): void;
  check(outcome: RunOutcome): Promise<{ verdicts: Verdict[]; figures: string[] }>;
}

export const NOT_CHECKED = [
  'slow disk / full disk: not injected. The machines are docker containers whose disk is the host overlayfs (no block device of their own: no /dev/loop*, no device-mapper, so neither dm-delay nor a small loop filesystem can be made inside one), and the host has cgroup v1, whose blkio throttle does not slow buffered writes; filling the disk would fill the host. A size-limited tmpfs under kvd\'s data dir can be mounted (CAP_SYS_ADMIN) but it forgets its content at every reboot of the machine, which loses the member\'s Raft state: a fault the product must not be asked to survive. Needs a per-machine size-limited volume for /var/lib/minicore (a vagrant change)',
  'clock jump without libfaketime on the host: left out of the schedule (tools/ci/chaos.sh installs the Debian package libfaketime; the runner copies the library into the machines). Only kvd\'s wall clock moves: the machines share the host kernel\'s clock, and moving that needs CAP_SYS_TIME and would move every machine',
];
