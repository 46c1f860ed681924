import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { schedctl } from './clis.js';
import type { Cluster, ClusterMachine } from './cluster.js';
import { testImage } from './runner.js';

/** One row of `schedctl -o json list-units`: a unit's state on the machine it runs on. */
export interface UnitState {
  name: string;
  machineID: string;
  systemdActiveState: string;
  systemdSubState: string;
}

/** One row of `schedctl -o json list-machines`. */
export interface MachineState {
  id: string;
  primaryIP: string;
  metadata: Record<string, string>;
}

export async function listUnits(api: ClusterMachine): Promise<UnitState[]> {
  return JSON.parse(await schedctl(api, ['-o', 'json', 'list-units'])) as UnitState[];
}

export async function listMachines(api: ClusterMachine): Promise<MachineState[]> {
  return JSON.parse(await schedctl(api, ['-o', 'json', 'list-machines'])) as MachineState[];
}

/** The label each unit's container carries, so the suite can find the container of a unit. */
export const unitLabel = 'minicore-unit';

/**
 * A unit that runs a container on its machine's engine, as issue 7 asks: `runctl run --attach`
 * stays in the foreground for the unit's whole life and stops (and removes) the container when the
 * unit stops. `xFleet` holds the [X-Fleet] lines.
 */
export function containerUnit(xFleet: readonly string[]): string {
  return [
    '[Unit]',
    'Description=e2e: a container through runctl',
    '',
    '[Service]',
    `ExecStart=/usr/local/bin/runctl run --attach --rm --stop-timeout 1 -l ${unitLabel}=%n ${testImage} sleep 3600`,
    '',
    ...(xFleet.length ? ['[X-Fleet]', ...xFleet] : []),
    '',
  ].join('\n');
}

/** Writes unit files into a new folder; resolves with their paths, in order. */
export async function writeUnitFiles(units: ReadonlyMap<string, string>): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'minicore-e2e-units-'));
  const files: string[] = [];
  for (const [name, text] of units) {
    const file = path.join(dir, name);
    await writeFile(file, text);
    files.push(file);
  }
  return files;
}

/** The unit backend the machine's schedulerd runs with (from its systemd unit, as provisioning wrote it). */
export async function unitBackend(cluster: Cluster, machine: ClusterMachine): Promise<string> {
  const unit = await cluster.exec(machine.name, 'systemctl cat minicore-schedulerd.service');
  return /--unit-backend\s+(\S+)/.exec(unit)?.[1] ?? 'exec';
}

/** The units whose containers run in the machine's engine right now (by their label). */
export async function unitsWithContainers(cluster: Cluster, machine: ClusterMachine, prefix: string): Promise<string[]> {
  const output = await cluster.exec(machine.name, `docker ps --filter label=${unitLabel} --format '{{.Label "${unitLabel}"}}'`);
  return output.split('\n').filter((name) => name.startsWith(prefix)).sort();
}

/** The units systemd on the machine has active (systemd backend). */
export async function systemdActiveUnits(cluster: Cluster, machine: ClusterMachine, prefix: string): Promise<string[]> {
  const output = await cluster.exec(machine.name, `systemctl list-units --no-legend --plain --state=active '${prefix}*'`);
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.startsWith(prefix))
    .sort();
}
