import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemdContainer } from '@minicore/systemd/testing';
import { parseUnitFile, unitHash } from '@minicore/unit-file';
import { waitUntil } from './support/machines.js';
import { BackendInNode, startSystemdNode } from './support/systemd-node.js';

// schedulerd's systemd backend against real systemd: the backend runs inside a node container
// (systemd as PID 1, its D-Bus system bus, journald), as schedulerd does on a Minicore machine.
let node: SystemdContainer;
let backend: BackendInNode;

function unit(text: string) {
  const options = parseUnitFile(text);
  return { options, hash: unitHash(options) };
}

async function systemctlShow(name: string, property: string): Promise<string> {
  return (await node.exec(['systemctl', 'show', '--property', property, '--value', name])).stdout.trim();
}

async function statusOf(name: string) {
  const status = await backend.status(name);
  if (!status) throw new Error(`${name} is not loaded`);
  return status;
}

beforeAll(async () => {
  node = await startSystemdNode('minicore-scheduler-systemd');
  // logind also subscribes to systemd's signals; without it the backend's own Subscribe is what counts.
  await node.exec(['systemctl', 'stop', 'systemd-logind.service']);
  backend = await BackendInNode.start(node);
}, 120_000);

afterAll(async () => {
  await backend?.close().catch(() => undefined);
  await node?.remove();
});

describe('systemd backend in a node container', () => {
  it('loads a unit as a runtime unit file, starts it, reports it, shows its journal, stops it', async () => {
    const web = unit('[Unit]\nDescription=web\n\n[Service]\nExecStart=/bin/sh -c "echo hello from web; exec sleep 1000"\n');
    await backend.load('web.service', web.options, web.hash);
    expect((await node.exec(['readlink', '/run/systemd/system/web.service'])).stdout.trim()).toBe('/run/minicore/units/web.service');
    expect(await backend.list()).toEqual([{ name: 'web.service', hash: web.hash, launched: false, state: { load: 'loaded', active: 'inactive', sub: 'dead' } }]);

    await backend.start('web.service');
    await waitUntil('web.service reported running', async () => (await statusOf('web.service')).state.active === 'active');
    const status = await statusOf('web.service');
    expect(status).toMatchObject({ launched: true, state: { load: 'loaded', active: 'active', sub: 'running' }, restarts: 0, command: ['/bin/sh', '-c', 'echo hello from web; exec sleep 1000'] });
    expect(status.mainPid).toBe(Number(await systemctlShow('web.service', 'MainPID')));
    expect(Date.parse(status.since)).toBeGreaterThan(Date.now() - 60_000);
    expect(backend.changes).toContainEqual({ name: 'web.service', state: { load: 'loaded', active: 'active', sub: 'running' } });
    await waitUntil('the journal line', async () => (await backend.journal('web.service', 20)).includes('hello from web'));

    await backend.stop('web.service');
    await waitUntil('web.service reported stopped', async () => (await statusOf('web.service')).state.active === 'inactive');
    const stopped = await statusOf('web.service');
    expect(stopped).toMatchObject({ launched: false, state: { sub: 'dead' } });
    expect(stopped.mainPid).toBeUndefined();
    expect(await systemctlShow('web.service', 'ActiveState')).toBe('inactive');
  });

  it('reports a unit whose process fails, with its exit status; a failing start job is an error naming the unit', async () => {
    const crashy = unit('[Service]\nExecStart=/bin/sh -c "echo about to fail; exit 3"\n');
    await backend.load('crashy.service', crashy.options, crashy.hash);
    await backend.start('crashy.service');
    await waitUntil('crashy.service failed', async () => (await statusOf('crashy.service')).state.active === 'failed');
    const failed = await statusOf('crashy.service');
    expect(failed).toMatchObject({ launched: true, state: { active: 'failed', sub: 'failed' }, lastExit: 'code=exited, status=3' });
    expect(failed.mainPid).toBeUndefined();
    expect(await systemctlShow('crashy.service', 'Result')).toBe('exit-code');
    expect(await backend.journal('crashy.service', 20)).toContain('about to fail');

    const oneshot = unit('[Service]\nType=oneshot\nExecStart=/bin/false\n');
    await backend.load('setup.service', oneshot.options, oneshot.hash);
    await expect(backend.start('setup.service')).rejects.toThrow('start setup.service: job failed (ActiveState=failed, Result=exit-code, code=exited, status=1)');
    expect(await statusOf('setup.service')).toMatchObject({ state: { active: 'failed' }, lastExit: 'code=exited, status=1' });
  });

  it('reports a unit file systemd refuses, and names the unit and systemd’s reason when it cannot start', async () => {
    const bad = unit('[Service]\nExecStart=relative/path/to/nothing\n');
    await backend.load('bad.service', bad.options, bad.hash);
    expect((await statusOf('bad.service')).state).toEqual({ load: 'bad-setting', active: 'inactive', sub: 'dead' });
    await expect(backend.start('bad.service')).rejects.toThrow('start bad.service: Unit bad.service has a bad unit file setting.');
    await backend.unload('bad.service');
    expect(await backend.status('bad.service')).toBeNull();
  });

  it('follows a killed main process through its Restart=on-failure restart', async () => {
    const phoenix = unit('[Service]\nExecStart=/bin/sleep 1000\nRestart=on-failure\nRestartSec=500ms\n');
    await backend.load('phoenix.service', phoenix.options, phoenix.hash);
    await backend.start('phoenix.service');
    await waitUntil('phoenix.service running', async () => ((await statusOf('phoenix.service')).mainPid ?? 0) > 0);
    const first = (await statusOf('phoenix.service')).mainPid!;
    const changesBefore = backend.changes.length;

    await node.exec(['kill', '-KILL', String(first)]);
    await waitUntil('phoenix.service restarted', async () => {
      const status = await statusOf('phoenix.service');
      return status.restarts === 1 && status.state.active === 'active' && status.mainPid !== undefined && status.mainPid !== first;
    });
    expect(await statusOf('phoenix.service')).toMatchObject({ lastExit: 'code=killed, signal=KILL', state: { sub: 'running' } });
    const states = backend.changes.slice(changesBefore).filter((change) => change.name === 'phoenix.service').map((change) => `${change.state?.active}/${change.state?.sub}`);
    expect(states).toContain('activating/auto-restart');
    expect(states[states.length - 1]).toBe('active/running');
  });

  it('leaves units running when schedulerd stops or dies, and adopts them when it comes back', async () => {
    const pidBefore = (await statusOf('phoenix.service')).mainPid!;
    const sorted = (units: { name: string }[]) => units.sort((a, b) => a.name.localeCompare(b.name));
    const before = sorted(await backend.list());
    expect(before.map((u) => u.name)).toEqual(['crashy.service', 'phoenix.service', 'setup.service', 'web.service']);

    await backend.close();
    expect(await systemctlShow('phoenix.service', 'MainPID')).toBe(String(pidBefore));
    backend = await BackendInNode.start(node);
    expect(sorted(await backend.list())).toEqual(before);
    expect(await statusOf('phoenix.service')).toMatchObject({ mainPid: pidBefore, restarts: 1, launched: true });

    await backend.crash();
    expect(await systemctlShow('phoenix.service', 'ActiveState')).toBe('active');
    backend = await BackendInNode.start(node);
    expect(await statusOf('phoenix.service')).toMatchObject({ mainPid: pidBefore, state: { active: 'active', sub: 'running' } });

    // The adopted unit is followed and controlled like one loaded by this process.
    await backend.stop('phoenix.service');
    await waitUntil('the adopted unit reported stopped', async () => (await statusOf('phoenix.service')).state.active === 'inactive');
  });

  it('reconnects when the system bus restarts, and follows the units again', async () => {
    await node.exec(['systemctl', 'kill', '--signal=KILL', 'dbus.service']);
    await node.exec(['systemctl', 'start', 'dbus.service']);
    // An external change while the backend may still be reconnecting: it must learn of it either way.
    await node.exec(['systemctl', 'start', 'web.service']);
    await waitUntil('web.service seen running again', async () => (await statusOf('web.service')).state.active === 'active', 30_000);
    expect(backend.stderr).toContain('lost the connection to systemd; reconnecting');
    expect(backend.stderr).toContain('reconnected to systemd');
    await backend.stop('web.service');
    expect(await systemctlShow('web.service', 'ActiveState')).toBe('inactive');
    await node.exec(['systemctl', 'start', 'web.service']);
    await waitUntil('an external start seen through PropertiesChanged', async () => (await statusOf('web.service')).state.active === 'active');
    await node.exec(['systemctl', 'stop', 'web.service']);
    await waitUntil('an external stop seen', async () => (await statusOf('web.service')).state.active === 'inactive');
  });

  it('unload stops the unit, unlinks it and removes its file', async () => {
    const doomed = unit('[Service]\nExecStart=/bin/sleep 1000\n');
    await backend.load('doomed.service', doomed.options, doomed.hash);
    await backend.start('doomed.service');
    await backend.unload('doomed.service');
    expect((await backend.list()).map((u) => u.name)).not.toContain('doomed.service');
    expect(await backend.status('doomed.service')).toBeNull();
    expect(await systemctlShow('doomed.service', 'LoadState')).toBe('not-found');
    expect(await systemctlShow('doomed.service', 'ActiveState')).toBe('inactive');
    const left = (await node.exec(['ls', '/run/minicore/units', '/run/minicore/unit-state', '/run/systemd/system'])).stdout;
    expect(left).not.toContain('doomed.service');

    // A failed unit unloads too (nothing to stop).
    await backend.unload('crashy.service');
    expect(await systemctlShow('crashy.service', 'LoadState')).toBe('not-found');
  });
});
