import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkUpdater, type BootLogEntry, type SemaphoreSample } from '@minicore/chaos-checkers';
import { runCommand, vagrantStateDir, workspaceRoot } from './cluster.js';
import { fromWall, now, sleep } from './clock.js';
import type { CheckerHook, RunOutcome } from './hooks.js';
import { installFile, type Machines } from './machines.js';

/** locksmith's key (no group), as updaterd uses it (etcd v2 path). */
const SEMAPHORE_KEY = 'coreos.com/updateengine/rebootlock/semaphore';
const BOOT_LOG = '/var/lib/minicore/chaos-boots.log';
const BOOT_LOG_UNIT = '/etc/systemd/system/minicore-chaos-bootlog.service';
/** updaterd's --healthy-after on the machines (vagrant/provision/install.sh). */
const HEALTHY_AFTER_MS = 20_000;
const CHANNEL = 'chaos';
const GROUP = 'chaos';

/**
 * A unit that logs when the machine comes up (after its daemons were started) and when it begins to
 * go down, with the target it is going to (reboot.target for updaterd's `systemctl reboot`,
 * halt.target for the runner's halts). Ordered after the daemons, so it is the first unit stopped.
 */
const bootLogUnit = `# The chaos runner's (e2e/chaos/src/updater-hook.ts): the machine's reboots as it saw them.
[Unit]
Description=chaos runner: boot and shutdown times of this machine
After=minicore-kvd.service minicore-runnerd.service minicore-schedulerd.service minicore-updaterd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'echo "up $(date +%%s%%3N)" >> ${BOOT_LOG}'
ExecStop=/bin/sh -c 'echo "down $(date +%%s%%3N) $(systemctl list-jobs --no-legend 2>/dev/null | grep -oE "(reboot|poweroff|halt|kexec)[.]target" | head -1)" >> ${BOOT_LOG}'

[Install]
WantedBy=multi-user.target
`;

/**
 * The updater under the chaos schedule, through the real path: before the load, a new release (this
 * workspace's build, signed with the cluster's key) is published on update-server with a group that
 * grants it to `wanted` machines (per 30 s: runs are further apart, and every machine checks in at once); when the load starts every machine is asked to check now, so that
 * `wanted` of them install it and their reboot managers queue on the kv semaphore, whose max is set
 * to `max` (fewer than `wanted`, so some must wait). Recorded: every read of the semaphore (quorum
 * reads from this host, 4 a second) and each machine's own log of its shutdowns and boots.
 */
export class UpdaterHook implements CheckerHook {
  readonly name = 'updater';
  readonly samples: SemaphoreSample[] = [];
  private machines: Machines | undefined;
  private log: (line: string) => void = () => undefined;
  private polling = false;
  private poller: Promise<void> | undefined;
  private checker: Promise<void> | undefined;
  private version = '';
  /** Date.now() when prepare began: the machines' logs are read from there on. */
  private since = 0;

  constructor(
    private readonly wanted: number,
    private readonly max: number,
  ) {}

  async prepare(machines: Machines, log: (line: string) => void): Promise<void> {
    this.machines = machines;
    this.log = log;
    this.since = Date.now();
    // A machine may be rebooting (an earlier run's rollout goes on): each one is tried for a minute.
    await Promise.all(
      machines.names.map(async (name) => {
        for (let attempt = 1; ; attempt++) {
          try {
            await installFile(machines, name, BOOT_LOG_UNIT, bootLogUnit, 'systemctl daemon-reload');
            await machines.exec(name, 'systemctl enable --now minicore-chaos-bootlog.service 2>&1');
            return;
          } catch (error) {
            if (attempt === 30) throw error;
            await sleep(2_000);
          }
        }
      }),
    );
    const first = machines.names[0]!;
    for (let attempt = 1; ; attempt++) {
      try {
        await machines.exec(first, `updatectl lock set-max ${this.max}`);
        break;
      } catch (error) {
        if (attempt === 10) throw error;
        await sleep(1_000);
      }
    }
    // A version newer than anything an earlier run published.
    this.version = `0.9.${Math.floor(Date.now() / 1000)}`;
    const work = mkdtempSync(path.join(tmpdir(), 'minicore-chaos-release-'));
    try {
      const bundle = path.join(work, `minicore-${this.version}.mcr`);
      const started = Date.now();
      await runCommand(process.execPath, [path.join(workspaceRoot, 'tools/release/dist/main.js'), '--version', this.version, '--key', path.join(vagrantStateDir, 'minicore', 'release.key'), '--out', bundle, '--root', workspaceRoot], 180_000);
      await this.admin(['release', 'upload', bundle]);
      await this.admin(['channel', 'create', CHANNEL, this.version]).catch(() => this.admin(['channel', 'promote', CHANNEL, this.version]));
      const policy = ['--channel', CHANNEL, '--track', 'stable', '--max-per-period', String(this.wanted), '--period', '30s', '--timeout', '1m', '--no-safe-mode', '--enabled'];
      await this.admin(['group', 'create', GROUP, ...policy]).catch(() => this.admin(['group', 'update', GROUP, ...policy]));
      log(`updater: release ${this.version} published to update-server (packed and uploaded in ${((Date.now() - started) / 1000).toFixed(1)} s) for ${this.wanted} machines; reboot semaphore max ${this.max}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  begin(): void {
    const machines = this.machines!;
    this.polling = true;
    // update_engine_client -check_for_update on every machine: the first `wanted` get the release. Again
    // every 15 s: a download cut by a fault (update-server runs on the first machine) fails, and
    // updaterd would only try again at its next scheduled check, minutes later.
    this.checker = (async () => {
      while (this.polling) {
        await Promise.all(machines.names.map((name) => machines.exec(name, 'updatectl check').catch(() => undefined)));
        for (let waited = 0; waited < 15_000 && this.polling; waited += 500) await sleep(500);
      }
    })();
    this.poller = (async () => {
      let turn = 0;
      while (this.polling) {
        const machine = machines.list[turn++ % machines.list.length]!;
        const atMs = now();
        try {
          const response = await fetch(`${machine.kvUrl}/v2/keys/${SEMAPHORE_KEY}?quorum=true`, { signal: AbortSignal.timeout(2_000) });
          const body = (await response.json()) as { node?: { value?: string; modifiedIndex: number } };
          if (response.ok && body.node?.value) {
            const value = JSON.parse(body.node.value) as { semaphore: number; max: number; holders: string[] | null };
            this.samples.push({ atMs, index: body.node.modifiedIndex, semaphore: value.semaphore, max: value.max, holders: value.holders });
          }
        } catch {
          // no quorum there, or the machine is down: the next machine
        }
        await sleep(250);
      }
    })();
  }

  async check(outcome: RunOutcome): Promise<{ verdicts: ReturnType<typeof checkUpdater>['verdicts']; figures: string[] }> {
    this.polling = false;
    await Promise.all([this.poller, this.checker]);
    const endMs = now();
    const machines = this.machines!;
    // No more machines get this release after the run (a kept cluster would reboot into the next run).
    await this.admin(['group', 'update', GROUP, '--no-enabled']).catch((error: unknown) => this.log(`updater: could not pause the group: ${(error as Error).message.split('\n')[0]}`));
    const log = await readBootLogs(machines, this.since);
    const statuses = await Promise.all(machines.names.map(async (name) => `${name} ${(await machines.exec(name, 'updatectl status 2>&1 | head -3 | tr "\\n" " "').catch(() => '?')).trim()}`));
    const result = checkUpdater({ log, samples: this.samples, endMs, healthyAfterMs: HEALTHY_AFTER_MS });
    void outcome;
    const holds = [...new Set(this.samples.flatMap((sample) => sample.holders ?? []))];
    return {
      verdicts: result.verdicts,
      figures: [
        `updater: release ${this.version} for ${this.wanted} machines, semaphore max ${this.max}; ${this.samples.length} reads of the semaphore; holders seen: ${holds.join(', ') || 'none'}`,
        `updater: reboots ${result.reboots.map((r) => `${r.machine} ${(r.downMs / 1000).toFixed(1)}-${r.upMs === undefined ? 'end' : `${(r.upMs / 1000).toFixed(1)}`} s`).join(', ') || 'none'}; at most ${result.maxSeen} at once; ${result.unverified} unverified`,
        `updater: at the end: ${statuses.join('; ')}`,
      ],
    };
  }

  /** updatectl's admin commands against the cluster's update-server (on the first machine). */
  private async admin(args: string[]): Promise<string> {
    const token = readFileSync(path.join(vagrantStateDir, 'minicore', 'update-server.token'), 'utf8').trim();
    const server = `http://${this.machines!.list[0]!.address}:4005`;
    return runCommand(process.execPath, [path.join(workspaceRoot, 'apps/updater/dist/updatectl/main.js'), '--server', server, '--token', token, ...args], 120_000);
  }
}

/**
 * Every machine's boot log (the unit above), from `sinceEpochMs` on, on the run's clock. Empty for a
 * machine without the log (the updater checker did not run there).
 */
export async function readBootLogs(machines: Machines, sinceEpochMs: number): Promise<BootLogEntry[]> {
  const log: BootLogEntry[] = [];
  for (const name of machines.names) {
    let text = '';
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        text = await machines.exec(name, `cat ${BOOT_LOG} 2>/dev/null || true`);
        break;
      } catch {
        await sleep(2_000);
      }
    }
    for (const line of text.split('\n')) {
      const [kind, epoch, target] = line.trim().split(/\s+/);
      if ((kind !== 'up' && kind !== 'down') || !epoch) continue;
      // Only this run (from its preparation on: a reboot going on then has its boot, not its shutdown, logged here).
      if (Number(epoch) < sinceEpochMs) continue;
      log.push({ machine: name, kind, atMs: fromWall(Number(epoch)), ...(kind === 'down' ? { target: target ?? '' } : {}) });
    }
  }
  return log;
}
