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
  'slow disk: not injected. The machines are docker containers on the host\'s overlayfs, and the host has cgroup v1, whose blkio throttle does not slow buffered writes; a delaying device (dm-delay) over the host\'s loop devices was not tried. Full disks are injected only when the cluster was booted with kv disks (tools/scripts/chaos.sh does so unless MINICORE_CHAOS_KV_DISK_MB=0): otherwise disk-full is left out of the schedule',
  'clock jump without libfaketime on the host: left out of the schedule (tools/ci/chaos.sh installs the Debian package libfaketime; the runner copies the library into the machines). Only kvd\'s wall clock moves: the machines share the host kernel\'s clock, and moving that needs CAP_SYS_TIME and would move every machine',
];
