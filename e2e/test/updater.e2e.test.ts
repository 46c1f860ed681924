// Scenario 4 (updater): a new release published to the cluster's update-server is installed by every
// machine into its passive slot; the machines reboot one at a time under the kv reboot semaphore
// (locksmith's etcd-lock) and come back running it from that slot.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterUnderTest, type ClusterMachine } from '../src/cluster.js';
import { allHealthy } from '../src/kv.js';
import { bootedRelease, packRelease, updatectlAdmin } from '../src/updater.js';
import { sleep, waitFor } from '../src/wait.js';

const cluster = clusterUnderTest();
const machines = cluster.machines as [ClusterMachine, ...ClusterMachine[]];
const server = machines[0];
// Newer than whatever an earlier run left on this cluster.
const version = `0.2.${Math.floor(Date.now() / 1000)}`;
const channel = 'e2e';
const group = 'e2e-stable';
let work = '';

/** Is the machine up (its kvd answers)? */
async function answers(machine: ClusterMachine): Promise<boolean> {
  try {
    return (await fetch(`${machine.kvUrl}/version`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

describe.skipIf(cluster.kind !== 'vagrant')(`updater on the ${cluster.kind} cluster`, () => {
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'minicore-e2e-release-'));
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(`installs release ${version} from update-server on every machine, which reboot one at a time and come back running it`, async () => {
    await waitFor('every kv member healthy', async () => ((await allHealthy(cluster.machines)) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
    const before = await Promise.all(machines.map((machine) => bootedRelease(cluster, machine)));

    // Publish: upload the signed bundle, point a channel at it, and let the machines' track follow it.
    const bundle = path.join(work, `minicore-${version}.mcr`);
    const packed = await packRelease(version, bundle);
    await updatectlAdmin(server, ['release', 'upload', bundle]);
    await updatectlAdmin(server, ['channel', 'create', channel, version]).catch(() => updatectlAdmin(server, ['channel', 'promote', channel, version]));
    await updatectlAdmin(server, ['group', 'create', group, '--channel', channel, '--track', 'stable', '--max-per-period', '100', '--enabled']).catch(() =>
      updatectlAdmin(server, ['group', 'update', group, '--channel', channel, '--track', 'stable', '--max-per-period', '100', '--enabled']),
    );
    console.log(`published ${version} (${packed.files} files, ${(packed.size / 1048576).toFixed(1)} MiB); before: ${before.map((b, i) => `${machines[i]!.name} ${b.version} in ${b.slot}`).join(', ')}`);

    // Ask every machine to check now (update_engine_client -check_for_update) rather than at its next scheduled check.
    const started = Date.now();
    await Promise.all(machines.map((machine) => cluster.exec(machine.name, 'updatectl check')));

    // Watch the machines until each runs the new release: never more than one down at once.
    let mostDown = 0;
    const downSeen = new Set<string>();
    const done = new Map<string, { slot: string; at: number }>();
    while (done.size < machines.length) {
      if (Date.now() - started > 8 * 60_000) throw new Error(`timed out: ${done.size} of ${machines.length} machines run ${version}; went down: ${[...downSeen].join(', ') || 'none'}`);
      const up = await Promise.all(machines.map(answers));
      const down = machines.filter((_, i) => !up[i]);
      for (const machine of down) downSeen.add(machine.name);
      mostDown = Math.max(mostDown, down.length);
      for (const [i, machine] of machines.entries()) {
        if (!up[i] || done.has(machine.name)) continue;
        const booted = await bootedRelease(cluster, machine).catch(() => undefined);
        if (booted?.version === version) done.set(machine.name, { slot: booted.slot, at: Date.now() - started });
      }
      await sleep(500);
    }
    console.log(`every machine runs ${version}: ${[...done].map(([name, d]) => `${name} from slot ${d.slot} after ${d.at} ms`).join(', ')}; at most ${mostDown} down at once`);
    expect(mostDown).toBeLessThanOrEqual(1);
    expect([...downSeen].sort()).toEqual(machines.map((machine) => machine.name).sort());
    for (const [i, machine] of machines.entries()) {
      expect(done.get(machine.name)?.slot, `${machine.name} runs the new release from the slot it did not boot before`).not.toBe(before[i]!.slot);
    }

    // The cluster is whole again, every machine marks its new slot good, and update-server sees the new version everywhere.
    await waitFor('every kv member healthy', async () => ((await allHealthy(cluster.machines)) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
    await waitFor('every new slot marked good', async () => {
      const booted = await Promise.all(machines.map((machine) => bootedRelease(cluster, machine)));
      const records = await Promise.all(machines.map((machine) => cluster.exec(machine.name, 'cat /opt/minicore/slots/boot-record.json')));
      return booted.every((b, i) => new RegExp(`"${b.slot}":\\s*\\{[^}]*"successful":\\s*true`).test(records[i]!)) ? true : undefined;
    }, { timeoutMs: 120_000, intervalMs: 1_000 });
    await Promise.all(machines.map((machine) => cluster.exec(machine.name, 'updatectl check')));
    const instances = await waitFor('update-server to see the new version everywhere', async () => {
      const list = JSON.parse(await updatectlAdmin(server, ['-o', 'json', 'instances'])) as { machineId: string; version: string }[];
      return machines.every((machine) => list.find((instance) => instance.machineId === machine.name)?.version === version) ? list : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1_000 });
    expect(instances.filter((instance) => instance.version === version).length).toBeGreaterThanOrEqual(machines.length);
  });
});
