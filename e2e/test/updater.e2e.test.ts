// Scenario 4 (updater): a new release published to the cluster's update-server is installed by every
// machine into its passive slot; the machines reboot one at a time under the kv reboot semaphore
// (locksmith's etcd-lock) and come back running it from that slot. Then a release that fails its
// health check (runnerd cannot start in it): the one machine granted it installs it, reboots into it,
// is rolled back by its own updaterd at the trial deadline (provisioning: 90 s) and comes back on the
// good slot; update-server shows the Error (RollbackError) and stops the group (safe mode), the semaphore is free
// again, and no other machine ever runs the broken release.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterUnderTest, type ClusterMachine } from '../src/cluster.js';
import { allHealthy, kvThrough } from '../src/kv.js';
import { adminGet, bootedRelease, packRelease, updatectlAdmin, type ServerInstance } from '../src/updater.js';
import { sleep, waitFor } from '../src/wait.js';

const cluster = clusterUnderTest();
const machines = cluster.machines as [ClusterMachine, ...ClusterMachine[]];
const server = machines[0];
// Newer than whatever an earlier run left on this cluster.
const version = `0.2.${Math.floor(Date.now() / 1000)}`;
const brokenVersion = `0.3.${Math.floor(Date.now() / 1000)}`;
const REBOOT_LOCK = '/coreos.com/updateengine/rebootlock/semaphore';
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
  }, 10 * 60_000);
  it(`rolls the machine granted release ${brokenVersion} (runnerd cannot start in it) back on its own; update-server shows the Error, the semaphore is free and no other machine runs it`, async () => {
    await waitFor('every kv member healthy', async () => ((await allHealthy(cluster.machines)) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
    const before = new Map(await Promise.all(machines.map(async (machine) => [machine.name, await bootedRelease(cluster, machine)] as const)));
    const kv = kvThrough(machines);
    const lockState = async () => JSON.parse((await kv.get(REBOOT_LOCK, { quorum: true })).node.value ?? 'null') as { semaphore: number; max: number; holders: string[] | null };
    // The last machine of the rollout above gives the semaphore back once it has been healthy for a while.
    await waitFor('the reboot semaphore to be free', async () => (((await lockState()).holders ?? []).length === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 1_000 });

    // One at a time, and safe mode: the group stops when its first machine fails. The policy first, then the release.
    const bundle = path.join(work, `minicore-${brokenVersion}.mcr`);
    const packed = await packRelease(brokenVersion, bundle, ['--test-broken-daemon', 'runnerd']);
    await updatectlAdmin(server, ['release', 'upload', bundle]);
    await updatectlAdmin(server, ['group', 'update', group, '--channel', channel, '--max-per-period', '1', '--period', '10s', '--safe-mode', '--enabled']);
    await updatectlAdmin(server, ['channel', 'promote', channel, brokenVersion]);
    console.log(`published ${brokenVersion} with runnerd broken on purpose (${packed.files} files); group ${group}: 1 update at a time, safe mode`);

    // Ask the machine that is not the update server's first, then the others once it has the grant.
    const started = Date.now();
    const instances = async () => JSON.parse(await updatectlAdmin(server, ['-o', 'json', 'instances'])) as ServerInstance[];
    const first = machines[1] ?? machines[0];
    await cluster.exec(first.name, 'updatectl check');
    const granted = await waitFor('one machine to be granted the broken release', async () => (await instances()).find((i) => i.lastUpdateVersion === brokenVersion && machines.some((m) => m.name === i.machineId)), { timeoutMs: 60_000, intervalMs: 500 });
    const target = machines.find((machine) => machine.name === granted.machineId)!;
    const others = machines.filter((machine) => machine !== target);
    await Promise.all(others.map((machine) => cluster.exec(machine.name, 'updatectl check')));
    const goodVersion = before.get(target.name)!.version;
    console.log(`${target.name} was granted ${brokenVersion} after ${Date.now() - started} ms; it runs ${goodVersion} from slot ${before.get(target.name)!.slot}`);

    // Watch: the target's boots (booted.json changes), the others, the server and the semaphore.
    const at: Record<string, number> = {};
    const mark = (what: string) => (at[what] ??= Date.now() - started);
    let trialBoot: { slot: string; version: string; bootedAt: string } | undefined;
    let backBoot: { slot: string; version: string; bootedAt: string } | undefined;
    let runnerAnsweredOnTrial = false;
    let lockHeldOnTrial: string[] | null | undefined;
    let seen: ServerInstance | undefined;
    for (;;) {
      if (Date.now() - started > 9 * 60_000) throw new Error(`timed out: ${JSON.stringify({ at, trialBoot, backBoot, seen })}`);
      const booted = await bootedRelease(cluster, target).catch(() => undefined);
      if (!booted) mark(trialBoot ? 'down again (rollback reboot)' : 'down (update reboot)');
      else if (!trialBoot && booted.version === brokenVersion) {
        trialBoot = booted;
        mark('up on the broken release');
      } else if (trialBoot && !backBoot && booted.bootedAt !== trialBoot.bootedAt) {
        backBoot = booted;
        mark('up again after the rollback');
      }
      if (trialBoot && !backBoot && booted?.version === brokenVersion) {
        expect(booted.trial, 'the broken release boots on trial').toBe(true);
        runnerAnsweredOnTrial ||= await fetch(`${target.runnerUrl}/health`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
        lockHeldOnTrial ??= (await lockState().catch(() => undefined))?.holders;
      }
      for (const machine of others) {
        const other = await bootedRelease(cluster, machine).catch(() => undefined);
        expect(other, `${machine.name} stays up`).toBeDefined();
        expect(other!.bootedAt, `${machine.name} does not reboot`).toBe(before.get(machine.name)!.bootedAt);
      }
      if (backBoot && (await lockState().catch(() => undefined))?.holders?.length === 0) mark('semaphore free');
      seen = (await instances().catch(() => [])).find((i) => i.machineId === target.name);
      if (seen?.statusName === 'Error' && !trialBoot) throw new Error(`${target.name} failed before it ever booted ${brokenVersion} (the install, not the release, failed): ${JSON.stringify(seen)}`);
      if (seen?.statusName === 'Error') mark('Error on update-server');
      if (at['semaphore free'] !== undefined && at['Error on update-server'] !== undefined) break;
      await sleep(1_000);
    }
    console.log(`rollback timings from the first check (ms): ${Object.entries(at).map(([what, ms]) => `${what} ${ms}`).join(', ')}`);
    console.log(`on trial for ${Date.parse(backBoot!.bootedAt) - Date.parse(trialBoot!.bootedAt)} ms (boot to boot); the rollback was reported ${(at['Error on update-server'] ?? NaN) - (at['up again after the rollback'] ?? NaN)} ms after the boot back`);

    // The machine: on trial in the other slot, never healthy (runnerd never answered), back on the good slot for good.
    expect(trialBoot!.slot).not.toBe(before.get(target.name)!.slot);
    expect(runnerAnsweredOnTrial).toBe(false);
    expect(lockHeldOnTrial, 'the semaphore is held across the reboots').toEqual([target.name]);
    expect(backBoot).toMatchObject({ slot: before.get(target.name)!.slot, version: goodVersion, trial: false });
    const record = await cluster.exec(target.name, 'cat /opt/minicore/slots/boot-record.json');
    expect(record).toMatch(new RegExp(`"${trialBoot!.slot}":\\s*\\{[^}]*"tries":\\s*0[^}]*"successful":\\s*false`));
    await waitFor(`${target.name} healthy again`, async () => (await fetch(`${target.runnerUrl}/health`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false)) || undefined, { timeoutMs: 60_000, intervalMs: 1_000 });

    // update-server: the Error with Flatcar's RollbackError, in the list, the rollout and the history; the group stopped.
    const detail = await adminGet<ServerInstance>(server, `/instances/${target.name}`);
    expect(detail).toMatchObject({ statusName: 'Error', version: goodVersion, lastUpdateVersion: brokenVersion, lastErrorCode: 44 });
    expect(detail.history?.at(-1)).toMatchObject({ statusName: 'Error', errorCode: 44, errorName: 'RollbackError', version: brokenVersion });
    const listed = await updatectlAdmin(server, ['instances']);
    expect(listed).toMatch(new RegExp(`${target.name}\\s.*\\sError\\s.*RollbackError`));
    const rollout = await updatectlAdmin(server, ['rollout', 'status', group]);
    expect(rollout).toMatch(new RegExp(`${target.name}\\s+RollbackError \\(44\\)`));
    expect(rollout).toContain('paused');
    console.log(`update-server after the rollback:\n${listed}\n${rollout}`);
    const activity = await adminGet<{ class: string; message: string }[]>(server, '/activity?limit=20');
    expect(activity.map((entry) => entry.class)).toEqual(expect.arrayContaining(['RolloutFailed', 'InstanceUpdateFailed']));

    // Nobody else got it: the others were held while the target's update was in progress, then the group stopped.
    for (const instance of (await instances()).filter((i) => others.some((m) => m.name === i.machineId))) {
      expect(instance.lastUpdateVersion, `${instance.machineId} was never granted ${brokenVersion}`).not.toBe(brokenVersion);
      expect(instance.version).not.toBe(brokenVersion);
    }
    expect(await lockState()).toMatchObject({ semaphore: 1, holders: [] });
  }, 12 * 60_000);
});
