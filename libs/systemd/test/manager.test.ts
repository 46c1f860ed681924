import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemdError, SystemdManager, describeMainExit, type UnitProperties } from '../src/index.js';
import { SystemdContainer } from '../src/testing/container.js';

// Real systemd (PID 1 of a node container) over its real system bus: the socket folder of the node
// is bind-mounted on the host, so this process is an ordinary root client of that bus.
let container: SystemdContainer;
let manager: SystemdManager;
let unitsHostDir: string;
const unitsDir = '/run/minicore-test';

async function writeUnit(name: string, text: string): Promise<void> {
  await writeFile(path.join(unitsHostDir, name), text);
  await manager.linkUnitFiles([`${unitsDir}/${name}`], { runtime: true, force: true });
  await manager.reload();
}

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  unitsHostDir = await mkdtemp(path.join(tmpdir(), 'minicore-systemd-units-'));
  container = await SystemdContainer.start({ namePrefix: 'minicore-systemd-lib', exposeBus: true, mounts: [{ host: unitsHostDir, container: unitsDir }] });
  // logind subscribes to systemd too, which would make systemd send its signals whether or not this
  // client subscribed: without it, every signal seen here proves our own Subscribe works.
  await container.exec(['systemctl', 'stop', 'systemd-logind.service']);
  manager = await SystemdManager.connect({ address: container.busAddress });
});

afterAll(async () => {
  manager?.close();
  await container?.remove();
  if (unitsHostDir) await rm(unitsHostDir, { recursive: true, force: true });
});

describe('SystemdManager against systemd in a node container', () => {
  it('finds loaded units and says when a unit is not loaded', async () => {
    expect(await manager.getUnit('dbus.service')).toBe('/org/freedesktop/systemd1/unit/dbus_2eservice');
    expect(await manager.getUnit('no-such-thing.service')).toBeUndefined();
    const dbus = await manager.unitProperties('dbus.service');
    expect(dbus).toMatchObject({ loadState: 'loaded', activeState: 'active', subState: 'running' });
    expect(dbus.mainPid).toBeGreaterThan(1);
  });

  it('starts a linked unit file, follows it through PropertiesChanged, stops it', async () => {
    await writeUnit('lib-sleeper.service', '[Service]\nExecStart=/bin/sleep 1000\n');
    const seen: UnitProperties[] = [];
    const follower = await manager.followUnit('lib-sleeper.service', (properties) => seen.push(properties));
    expect(follower.properties).toMatchObject({ loadState: 'loaded', activeState: 'inactive', subState: 'dead', mainPid: 0 });

    await manager.startUnit('lib-sleeper.service');
    const started = await manager.unitProperties('lib-sleeper.service');
    expect(started).toMatchObject({ activeState: 'active', subState: 'running' });
    expect(started.mainPid).toBeGreaterThan(1);
    expect(started.stateChangeTimestamp!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await until('the follower to see the unit running', () => follower.properties.activeState === 'active' && follower.properties.mainPid === started.mainPid);
    const { stdout } = await container.exec(['cat', `/proc/${started.mainPid}/cmdline`]);
    expect(stdout.replaceAll('\0', ' ').trim()).toBe('/bin/sleep 1000');

    await manager.stopUnit('lib-sleeper.service');
    await until('the follower to see the unit stopped', () => follower.properties.activeState === 'inactive');
    expect(follower.properties).toMatchObject({ subState: 'dead', mainPid: 0 });
    // Signals arrive deduplicated: no two consecutive reports are the same.
    expect(seen.map((p) => p.activeState)).toContain('active');
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toEqual(seen[i - 1]);
    follower.stop();
  });

  it('reports a failed start job with the unit, the job result and the exit status', async () => {
    await writeUnit('lib-fails.service', '[Service]\nType=oneshot\nExecStart=/bin/sh -c "exit 3"\n');
    const error = await manager.startUnit('lib-fails.service').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SystemdError);
    expect((error as SystemdError).jobResult).toBe('failed');
    expect((error as Error).message).toBe('start lib-fails.service: job failed (ActiveState=failed, Result=exit-code, code=exited, status=3)');
    const failed = await manager.unitProperties('lib-fails.service');
    expect(failed).toMatchObject({ activeState: 'failed', subState: 'failed', result: 'exit-code', execMainCode: 1, execMainStatus: 3 });
    expect(describeMainExit(failed)).toBe('code=exited, status=3');

    await manager.resetFailedUnit('lib-fails.service');
    expect(await manager.unitProperties('lib-fails.service')).toMatchObject({ activeState: 'inactive', result: 'success' });
  });

  it('follows a unit whose main process is killed through its Restart=on-failure restart', async () => {
    await writeUnit('lib-phoenix.service', '[Service]\nExecStart=/bin/sleep 1000\nRestart=on-failure\nRestartSec=300ms\n');
    const states: string[] = [];
    const exits: (string | undefined)[] = [];
    const follower = await manager.followUnit('lib-phoenix.service', (p) => {
      states.push(`${p.activeState}/${p.subState}`);
      exits.push(describeMainExit(p));
    });
    await manager.startUnit('lib-phoenix.service');
    await until('the unit to run', () => follower.properties.mainPid > 0);
    const firstPid = follower.properties.mainPid;

    await container.exec(['kill', '-KILL', String(firstPid)]);
    await until('the restarted process', () => follower.properties.mainPid > 0 && follower.properties.mainPid !== firstPid && follower.properties.activeState === 'active');
    expect(follower.properties.nRestarts).toBe(1);
    // ExecMain* describe the current main process once it runs again: the kill is seen on the way.
    expect(exits).toContain('code=killed, signal=KILL');
    expect(states).toContain('activating/auto-restart');
    follower.stop();
    await manager.stopUnit('lib-phoenix.service');
  });

  it('keeps following across a daemon-reexec (systemd keeps its subscribers)', async () => {
    await writeUnit('lib-reexec.service', '[Service]\nExecStart=/bin/sleep 1000\n');
    const follower = await manager.followUnit('lib-reexec.service', () => undefined);
    await container.exec(['systemctl', 'daemon-reexec']);
    await container.exec(['systemctl', 'start', 'lib-reexec.service']);
    await until('the start seen after the reexec', () => follower.properties.activeState === 'active');
    await manager.stopUnit('lib-reexec.service');
    await until('the stop seen', () => follower.properties.activeState === 'inactive');
    follower.stop();
  });

  it('names the unit and systemd’s reason when a call is refused', async () => {
    await expect(manager.startUnit('no-such-thing.service')).rejects.toThrow(/^start no-such-thing\.service: Unit no-such-thing\.service not found\.$/);
    await expect(manager.startUnit('no-such-thing.service')).rejects.toMatchObject({ dbusName: 'org.freedesktop.systemd1.NoSuchUnit' });
  });

  it('unlinks a runtime unit', async () => {
    await writeUnit('lib-unlinked.service', '[Service]\nExecStart=/bin/sleep 1000\n');
    expect((await manager.unitProperties('lib-unlinked.service')).loadState).toBe('loaded');
    const changes = await manager.disableUnitFiles(['lib-unlinked.service'], { runtime: true });
    expect(changes).toEqual([{ type: 'unlink', file: '/run/systemd/system/lib-unlinked.service', destination: '' }]);
    await manager.reload();
    expect((await manager.unitProperties('lib-unlinked.service')).loadState).toBe('not-found');
  });
});

describe('a lost bus connection', () => {
  it('fails pending and later calls at once instead of hanging, and a new connection works once the bus is back', async () => {
    const doomed = await SystemdManager.connect({ address: container.busAddress });
    const lost: Error[] = [];
    doomed.onLost((error) => lost.push(error));
    await writeUnit('lib-slow-stop.service', '[Service]\nExecStart=/bin/sleep 1000\nExecStop=/bin/sleep 3\n');
    await doomed.startUnit('lib-slow-stop.service');
    const stopping = doomed.stopUnit('lib-slow-stop.service').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    await container.exec(['systemctl', 'kill', '--signal=KILL', 'dbus.service']);
    await until('the loss to be noticed', () => doomed.lost !== undefined);
    expect(lost).toHaveLength(1);
    expect((await stopping)?.message).toMatch(/^lost the connection to systemd: /);
    await expect(doomed.getUnit('dbus.service')).rejects.toThrow(/^get dbus\.service: lost the connection to systemd: /);
    doomed.close();

    await container.exec(['systemctl', 'start', 'dbus.service']);
    let again: SystemdManager | undefined;
    await until('systemd back on a new bus', async () => {
      again ??= await SystemdManager.connect({ address: container.busAddress }).catch(() => undefined);
      return (await again?.getUnit('dbus.service').catch(() => undefined)) !== undefined;
    });
    const followed = await again!.followUnit('lib-slow-stop.service', () => undefined);
    await until('the stop job to finish', () => followed.properties.activeState === 'inactive');
    again!.close();
    manager.close();
    manager = await SystemdManager.connect({ address: container.busAddress });
  });
});

describe('SystemdContainer', () => {
  it('says how to build the node image when it is missing', async () => {
    await expect(SystemdContainer.start({ image: 'minicore/no-such-node-image:missing' })).rejects.toThrow('the systemd node image minicore/no-such-node-image:missing is missing: build it with `npm run node-image` (tools/node-image)');
  });
});
