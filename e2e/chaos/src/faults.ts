import { blockedPeers, LEADER, type FaultRecord, type PlannedFault } from '@minicore/chaos-checkers';
import { now, sleep } from './clock.js';
import { FAKETIME_FILE } from './faketime.js';
import { fillKvDisk, freeAllKvDisks, freeKvDisk, kvdHealthyAfter, kvdRestarts } from './kv-disk.js';
import type { Machines } from './machines.js';

const KVD = 'minicore-kvd.service';
/** Our own iptables chain, jumped to first from INPUT and OUTPUT: healing a partition is flushing it. */
const CHAIN = 'MINICORE-CHAOS';

/** Injects one planned fault, holds it, heals it; returns what happened. Errors are recorded, not thrown. */
export async function runFault(machines: Machines, fault: PlannedFault, log: (line: string) => void): Promise<FaultRecord> {
  const startMs = now();
  const record: FaultRecord = { id: fault.id, kind: fault.kind, description: '', startMs, endMs: startMs };
  const target = await resolveTarget(machines, fault);
  try {
    record.description = await inject(machines, fault, target);
    log(`fault #${fault.id} ${record.description}`);
  } catch (error) {
    record.error = `inject: ${firstLine(error)}`;
    log(`fault #${fault.id} ${fault.kind} failed to inject: ${record.error}`);
  }
  await sleep(startMs + fault.holdMs - now());
  try {
    await heal(machines, fault, target);
    if (fault.kind === 'disk-full' && target.machine) measureRecovery(machines, record, target);
  } catch (error) {
    record.error = `${record.error ? `${record.error}; ` : ''}heal: ${firstLine(error)}`;
    log(`fault #${fault.id} failed to heal: ${record.error}`);
  }
  record.endMs = now();
  log(`fault #${fault.id} healed`);
  return record;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 200) ?? '';

interface Target {
  machine?: string;
  groups?: string[][];
  note: string;
  /** disk-full: kvd's NRestarts before the disk was filled, and when it was full (run ms). */
  restartsBefore?: number | undefined;
  filledAtMs?: number;
}

/** Measurements still running after their fault healed (a full disk's recovery); awaited before the report. */
const pending: Promise<void>[] = [];

/** After a full disk got its space back: how long until its kvd is healthy, and how often it restarted meanwhile. */
function measureRecovery(machines: Machines, record: FaultRecord, target: Target): void {
  const machine = target.machine as string;
  const restartsBefore = target.restartsBefore;
  const window = { machine, startMs: target.filledAtMs ?? record.startMs, endMs: now() };
  record.diskFull = window;
  pending.push(
    (async () => {
      const recoveredAfterMs = await kvdHealthyAfter(machines.byName(machine).kvUrl, 60_000);
      const restartsAfter = await kvdRestarts(machines, machine);
      record.diskFull = {
        ...window,
        ...(recoveredAfterMs === undefined ? {} : { recoveredAfterMs }),
        ...(restartsBefore === undefined || restartsAfter === undefined ? {} : { restarts: restartsAfter - restartsBefore }),
      };
    })(),
  );
}

/** Waits for the measurements of healed faults. */
export async function settleFaultMeasurements(): Promise<void> {
  await Promise.all(pending);
}

async function resolveTarget(machines: Machines, fault: PlannedFault): Promise<Target> {
  if (fault.target !== LEADER) return fault.target ? { machine: fault.target, note: '' } : { groups: fault.groups ?? [], note: fault.bridge ? ` (bridge ${fault.bridge})` : '' };
  const leader = await machines.leader();
  // No leader right now (an election): the first machine stands in, and the report says so.
  const machine = leader ?? machines.names.at(0) ?? 'core-1';
  const note = leader ? ' (the leader)' : ' (no leader found: first machine)';
  if (fault.kind === 'partition-leader') return { groups: [[machine], machines.names.filter((name) => name !== machine)], note };
  return { machine, note };
}

async function inject(machines: Machines, fault: PlannedFault, target: Target): Promise<string> {
  const machine = target.machine as string;
  switch (fault.kind) {
    case 'kill':
      await machines.exec(machine, `systemctl kill -s KILL ${KVD}`);
      return `kill -9 kvd on ${machine}${target.note} (systemd restarts it)`;
    case 'pause':
      await machines.exec(machine, `systemctl kill -s STOP ${KVD}`);
      return `SIGSTOP kvd on ${machine}${target.note} for ${(fault.holdMs / 1000).toFixed(1)} s`;
    case 'halt':
      await machines.halt(machine);
      return `halt ${machine}${target.note} (docker stop: systemd shuts down) for ${(fault.holdMs / 1000).toFixed(1)} s`;
    case 'crash':
      await machines.crash(machine);
      return `power cut on ${machine}${target.note} (docker kill -s KILL) for ${(fault.holdMs / 1000).toFixed(1)} s`;
    case 'partition-minority':
    case 'partition-leader':
    case 'partition-bridge': {
      const groups = target.groups ?? [];
      await partition(machines, groups);
      return `partition ${groups.map((group) => `[${group.join(',')}]`).join(' | ')}${target.note} for ${(fault.holdMs / 1000).toFixed(1)} s`;
    }
    case 'clock-jump': {
      const offset = fault.clockOffsetS ?? 30;
      await machines.exec(machine, `echo ${offset >= 0 ? '+' : ''}${offset} > ${FAKETIME_FILE}`);
      return `kvd's wall clock on ${machine}${target.note} moved ${offset >= 0 ? '+' : ''}${offset} s for ${(fault.holdMs / 1000).toFixed(1)} s (libfaketime)`;
    }
    case 'disk-full': {
      target.restartsBefore = await kvdRestarts(machines, machine);
      const bytes = await fillKvDisk(machine);
      target.filledAtMs = now();
      return `kvd's disk on ${machine}${target.note} filled (${(bytes / 1024 / 1024).toFixed(0)} MiB of filler) for ${(fault.holdMs / 1000).toFixed(1)} s`;
    }
  }
}

async function heal(machines: Machines, fault: PlannedFault, target: Target): Promise<void> {
  const machine = target.machine as string;
  switch (fault.kind) {
    case 'kill':
      return;
    case 'pause':
      await machines.exec(machine, `systemctl kill -s CONT ${KVD}`);
      return;
    case 'halt':
    case 'crash':
      await machines.powerOn(machine);
      return;
    case 'disk-full':
      freeKvDisk(machine);
      return;
    case 'clock-jump':
      // The offset file outlives a reboot: a machine rebooting now (updaterd) must not come back with its clock moved.
      for (let attempt = 1; ; attempt++) {
        try {
          await machines.exec(machine, `echo +0 > ${FAKETIME_FILE}`);
          return;
        } catch (error) {
          if (attempt === 60) throw error;
          await sleep(1_000);
        }
      }
    default:
      await unpartition(machines);
  }
}

/** Inside each machine, iptables drops every packet to and from the machines of the other groups. */
async function partition(machines: Machines, groups: string[][]): Promise<void> {
  const blocked = blockedPeers(groups);
  await Promise.all(
    [...blocked].map(([name, peers]) => {
      const rules = peers.map((peer) => machines.byName(peer).address).flatMap((address) => [`iptables -A ${CHAIN} -s ${address} -j DROP`, `iptables -A ${CHAIN} -d ${address} -j DROP`]);
      return machines.exec(name, [...chainSetup(), `iptables -F ${CHAIN}`, ...rules].join(' && '));
    }),
  );
}

function chainSetup(): string[] {
  return [`(iptables -N ${CHAIN} 2>/dev/null || true)`, `(iptables -C INPUT -j ${CHAIN} 2>/dev/null || iptables -I INPUT 1 -j ${CHAIN})`, `(iptables -C OUTPUT -j ${CHAIN} 2>/dev/null || iptables -I OUTPUT 1 -j ${CHAIN})`];
}

async function unpartition(machines: Machines): Promise<void> {
  await Promise.all(machines.names.map((name) => machines.exec(name, `iptables -F ${CHAIN} 2>/dev/null || true`)));
}

/**
 * Heals everything, whatever state a fault left: full disks emptied, machines powered on,
 * partitions flushed, kvd continued and started. Run at the end, and after a runner error, so the cluster is left whole.
 */
export async function healAll(machines: Machines, log: (line: string) => void): Promise<void> {
  try {
    freeAllKvDisks(machines.names);
  } catch (error) {
    log(`heal: kv disks: ${firstLine(error)}`);
  }
  for (const name of machines.names) {
    try {
      if (!(await machines.running(name))) {
        log(`heal: powering ${name} on`);
        await machines.powerOn(name);
      }
      await machines.exec(name, `(iptables -F ${CHAIN} 2>/dev/null || true); (test -f ${FAKETIME_FILE} && echo +0 > ${FAKETIME_FILE}); systemctl kill -s CONT ${KVD} 2>/dev/null; systemctl start ${KVD}`);
    } catch (error) {
      log(`heal: ${name}: ${firstLine(error)}`);
    }
  }
}
