import { boolean, defineConfig, duration, list, oneOf, string, urlList } from '@minicore/config';

export const bootConfig = defineConfig({
  program: 'updaterd boot',
  summary: 'The boot selector: picks the slot by priority/tries/successful (GRUB gptprio), decrements its tries, records the choice atomically and prints the slot as JSON for the launcher.',
  envPrefix: 'UPDATERD',
  fields: {
    slotsDir: string({ description: 'Folder holding the slots A and B and the boot record' }),
    bootId: string({ description: 'Id of this boot (default: /proc/sys/kernel/random/boot_id)', default: '' }),
    currentLink: string({ description: 'Symlink to point at the chosen slot\'s folder (e.g. /opt/minicore/current, where the units\' ExecStart runs from); empty: none', default: '' }),
  },
});

export const installConfig = defineConfig({
  program: 'updaterd install',
  summary: 'Installs a signed release bundle into a slot by hand (a machine\'s first install, or an operator\'s): verifies the signature and every file, unpacks, and marks the slot good with top priority (--trial: tries=1, like an update). Refuses the booted slot unless --force.',
  envPrefix: 'UPDATERD',
  fields: {
    slotsDir: string({ description: 'Folder holding the slots A and B and the boot record' }),
    bundle: string({ description: 'Release bundle (npm run release)' }),
    trustedKey: string({ description: 'Public key the bundle must be signed with' }),
    slot: string({ description: 'Slot to install into, A or B (default: the slot not booted; A on a fresh machine)', default: '', pattern: /^[AB]?$/, expected: 'A or B' }),
    trial: boolean({ description: 'Mark the slot for one trial boot (tries=1, successful=0) instead of good' }),
    force: boolean({ description: 'Install even into the booted slot (stop the machine\'s daemons first)' }),
  },
});

export const markGoodConfig = defineConfig({
  program: 'updaterd mark-good',
  summary: 'Marks the booted slot successful now (what updaterd does after --healthy-after of good health).',
  envPrefix: 'UPDATERD',
  fields: { slotsDir: string({ description: 'Folder holding the slots A and B and the boot record' }) },
});

export const daemonConfig = defineConfig({
  program: 'updaterd',
  summary: 'The updater of one Minicore machine. Checks in with the update server on a schedule, downloads, verifies and installs releases into the passive slot, marks the booted slot successful after --healthy-after of good health, rolls back a release on trial that is not healthy by --trial-deadline, publishes its status on D-Bus (update_engine\'s interface) and reboots into an installed update per --reboot-strategy (locksmith). Subcommands: `updaterd boot`, `updaterd mark-good`, `updaterd install`.',
  envPrefix: 'UPDATERD',
  fields: {
    slotsDir: string({ description: 'Folder holding the slots A and B and the boot record' }),
    healthyAfter: duration({ description: 'Healthy time before the booted slot is marked successful', default: 45_000 }),
    healthUrls: list({ description: 'URLs that must answer 2xx for the machine to count as healthy (none: the process being up)', default: [] }),
    healthInterval: duration({ description: 'Time between health checks', default: 5_000 }),
    trialDeadline: duration({
      description:
        'A release on trial (booted with its one try, not yet marked successful) that has not been healthy for --healthy-after by this long after its boot is rolled back: updaterd reboots (under the reboot lock per --reboot-strategy, outside any reboot window) and the boot selector falls back to the previous slot. When not longer than --healthy-after it counts from the end of --healthy-after; 0: never (update_engine\'s behaviour)',
      default: 10 * 60_000,
    }),
    server: string({ description: 'Omaha URL of the update server, e.g. http://127.0.0.1:4005/v1/update/ (empty: no update checks)', default: '' }),
    track: string({ description: 'The group track sent as app@track', default: 'stable' }),
    trustedKey: string({ description: 'Public key releases must be signed with (required with --server)', default: '' }),
    machineId: string({ description: 'Machine id (default: /etc/machine-id)', default: '' }),
    version: string({ description: 'Version to report when the booted slot has no release manifest', default: '0.0.0' }),
    firstCheckDelay: duration({ description: 'Delay before the first update check (update_engine: 7 min)', default: 7 * 60_000 }),
    checkInterval: duration({ description: 'Time between update checks (update_engine: 45 min)', default: 45 * 60_000 }),
    checkFuzz: duration({ description: 'Random spread around each check time (update_engine: 10 min window)', default: 10 * 60_000 }),
    dbusAddress: string({ description: 'D-Bus address to publish the update engine interface on (default: the system bus; "none": not on D-Bus)', default: '' }),
    rebootStrategy: oneOf(['reboot', 'etcd-lock', 'best-effort', 'off'] as const, {
      description: 'After an update: reboot at once, take the kv reboot semaphore first (etcd-lock), etcd-lock when kv answers else reboot (best-effort), or leave it to the operator (off)',
      default: 'reboot',
    }),
    rebootCommand: string({ description: 'Command (sh -c) that reboots this machine (default: systemctl reboot where systemd is PID 1)', default: '' }),
    rebootWindowStart: string({ description: 'Start of the reboot window, local time: HH:MM daily or "Day HH:MM" weekly (with --reboot-window-length)', default: '' }),
    rebootWindowLength: string({ description: 'Length of the reboot window, e.g. 1h30m (with --reboot-window-start)', default: '' }),
    rebootGroup: string({ description: 'locksmith group: machines of a group share their own semaphore', default: '' }),
    kvEndpoints: urlList({ description: 'kv (or etcd) client URLs holding the reboot semaphore', default: ['http://127.0.0.1:2379'] }),
    lockRetry: duration({ description: 'First wait between reboot lock attempts, doubling up to 5 min (locksmith: 10s); a release retries at once', default: 10_000 }),
    installPriority: oneOf(['idle', 'normal'] as const, {
      description: 'CPU and I/O priority of download, verification and unpacking: idle runs them in a worker under nice -n 19 and ionice -c 3 (the idle I/O class), so workloads keep the machine; normal runs them in updaterd',
      default: 'idle',
    }),
    maxDownloadRate: string({ description: 'Cap on the payload download rate, bytes per second with K/M/G (powers of 1024), e.g. 10M; empty: none', default: '' }),
    unlockRetry: duration({ description: 'First wait between attempts to release the reboot lock after the boot, doubling up to 5 min', default: 5_000 }),
  },
});
