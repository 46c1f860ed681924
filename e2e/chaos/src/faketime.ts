import fs from 'node:fs';
import { runCommand } from './cluster.js';
import { sleep } from './clock.js';
import { installFile, type Machines } from './machines.js';

/** libfaketime on this host (Debian package libfaketime; tools/ci/chaos.sh installs it). */
const HOST_LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const LIBRARY = '/usr/local/lib/minicore-chaos/libfaketime.so.1';
/** The offset kvd's wall clock runs at, read by libfaketime once a second: "+0", "+30", "-45". */
export const FAKETIME_FILE = '/var/lib/minicore/chaos-faketime';
const DROP_IN = '/etc/systemd/system/minicore-kvd.service.d/chaos-faketime.conf';

export function faketimeAvailable(): boolean {
  return fs.existsSync(HOST_LIBRARY);
}

/**
 * kvd under libfaketime on every machine: the library copied in from this host (the machines run
 * the same Debian 12), a drop-in that preloads it with the offset file, the wall clock only
 * (FAKETIME_DONT_FAKE_MONOTONIC: timers and Raft's clocks keep the real monotonic time). kvd restarts
 * where the drop-in is new, one machine at a time, each back in the cluster before the next.
 */
export async function installFaketime(machines: Machines, log: (line: string) => void): Promise<void> {
  const dropIn = `# The chaos runner's (e2e/chaos/src/faketime.ts): kvd's wall clock can be moved by writing an offset to ${FAKETIME_FILE}.
[Service]
Environment=LD_PRELOAD=${LIBRARY} FAKETIME_TIMESTAMP_FILE=${FAKETIME_FILE} FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_CACHE_DURATION=1
`;
  let restarted = 0;
  for (const name of machines.names) {
    // A machine may be rebooting (an earlier run's rollout goes on): tried for a minute.
    let result: 'changed' | 'same';
    for (let attempt = 1; ; attempt++) {
      try {
        await machines.exec(name, `mkdir -p $(dirname ${LIBRARY}) && echo +0 > ${FAKETIME_FILE}`);
        await runCommand('docker', ['cp', HOST_LIBRARY, `${machines.containerId(name)}:${LIBRARY}`]);
        result = await installFile(machines, name, DROP_IN, dropIn, 'systemctl daemon-reload && systemctl restart minicore-kvd');
        break;
      } catch (error) {
        if (attempt === 30) throw error;
        await sleep(2_000);
      }
    }
    if (result === 'changed') {
      restarted++;
      const deadline = Date.now() + 60_000;
      while (!(await machines.healthy()) && Date.now() < deadline) await sleep(500);
    }
  }
  log(`clock jumps: kvd runs under libfaketime on every machine${restarted ? ` (restarted on ${restarted})` : ''}`);
}
