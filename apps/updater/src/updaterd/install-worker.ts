// The install worker: updaterd runs download, verification and unpacking in this separate process,
// started under `nice -n 19 ionice -c 3`, so that an update yields the CPU and the disk to the
// machine's workloads (CoreOS put update_engine in a cgroup with a low CPU and I/O weight). It
// reads one InstallJob (JSON) from its argument and writes InstallMessages, one JSON per line.
import { spawnSync } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import type { InstallJob, InstallMessage } from './install-job.js';
import { performInstall } from './install-job.js';

// Also lower this process itself, for a launcher that could not prefix nice.
try {
  setPriority(19);
} catch {
  // not allowed here; the nice prefix did it or nothing can
}
const job = JSON.parse(process.argv[2] ?? '{}') as InstallJob;
// `ionice -p` prints e.g. "idle" or "best-effort: prio 4"; the log and the tests read it.
const ionice = spawnSync('ionice', ['-p', String(process.pid)], { encoding: 'utf8' });
const report = (message: InstallMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);
report({ type: 'started', pid: process.pid, nice: getPriority(), ioClass: ionice.status === 0 ? ionice.stdout.trim() : 'unknown' });
let last = 0;
await performInstall(job, (message: InstallMessage) => {
  // Progress at most every 100 ms: the parent only needs 1 % steps.
  if (message.type === 'progress') {
    const now = Date.now();
    if (now - last < 100 && message.received < job.size) return;
    last = now;
  }
  report(message);
});
