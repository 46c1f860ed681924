import { describe, expect, it } from 'vitest';
import { machineAddress, planCluster, planMachine, rebootRequestFile } from './plan.js';

describe('planCluster', () => {
  it('gives every machine its own loopback address, data folder and the same initial cluster', () => {
    const plan = planCluster({ machines: 3, dataDir: '/d', workspaceRoot: '/w' });
    expect(plan.map((machine) => [machine.name, machine.address])).toEqual([
      ['core-1', '127.0.0.11'],
      ['core-2', '127.0.0.12'],
      ['core-3', '127.0.0.13'],
    ]);
    const kvd = plan[1]?.daemons[0];
    expect(kvd?.script).toBe('/w/apps/kv/dist/kvd/main.js');
    expect(kvd?.args).toEqual(expect.arrayContaining(['--data-dir', '/d/core-2/kv', '--listen-peer-urls', 'http://127.0.0.12:2380']));
    expect(kvd?.args).toContain('core-1=http://127.0.0.11:2380,core-2=http://127.0.0.12:2380,core-3=http://127.0.0.13:2380');
    expect(kvd?.healthUrl).toBe('http://127.0.0.12:2379/health');
    expect(machineAddress(5)).toBe('127.0.0.15');
    expect(plan[0]?.daemons.map((daemon) => daemon.name)).toEqual(['kvd', 'schedulerd']);
    const schedulerd = plan[2]?.daemons[1];
    expect(schedulerd?.name).toBe('schedulerd');
    expect(schedulerd?.args).toEqual(expect.arrayContaining(['--kv-endpoints', 'http://127.0.0.13:2379', '--api-listen', '127.0.0.13:4002']));
  });
});

describe('planCluster with a Docker engine', () => {
  it('runs runnerd between kvd and schedulerd, each machine with its own bridge port for kv', () => {
    const plan = planCluster({ machines: 2, dataDir: '/d', workspaceRoot: '/w', docker: { socket: '/var/run/docker.sock' } });
    expect(plan[1]?.daemons.map((daemon) => daemon.name)).toEqual(['kvd', 'runnerd', 'schedulerd']);
    expect(plan[0]?.daemons[1]?.args).toEqual(expect.arrayContaining(['--container-kv-listen', 'bridge:23791', '--machine-id', 'core-1']));
    expect(plan[1]?.daemons[1]?.args).toEqual(expect.arrayContaining(['--container-kv-listen', 'bridge:23792', '--listen', '127.0.0.12:4003']));
  });
});

describe('planCluster with the updater', () => {
  const updater = { server: 'http://127.0.0.10:4005/v1/update/', trustedKey: '/d/release.key.pub', firstCheckDelay: '60000ms', checkInterval: '600000ms', healthyAfter: '45000ms', lowPriority: ['nice', '-n', '19'] };

  it('runs updaterd last on every machine, at low priority, rebooting through the launcher', () => {
    const plan = planCluster({ machines: 2, dataDir: '/d', workspaceRoot: '/w', updater });
    expect(plan[1]?.daemons.map((daemon) => daemon.name)).toEqual(['kvd', 'schedulerd', 'updaterd']);
    const updaterd = plan[1]!.daemons[2]!;
    expect(updaterd.prefix).toEqual(['nice', '-n', '19']);
    expect(updaterd.healthUrl).toBeUndefined();
    expect(updaterd.args).toEqual(expect.arrayContaining(['--slots-dir', '/d/core-2/slots', '--machine-id', 'core-2', '--reboot-strategy', 'etcd-lock', '--reboot-command', `touch '${rebootRequestFile('/d', 'core-2')}'`]));
    expect(updaterd.args).toEqual(expect.arrayContaining(['--server', updater.server, '--kv-endpoints', 'http://127.0.0.12:2379', '--dbus-address', 'none']));
  });

  it('runs each machine from the slot its boot selector chose', () => {
    const machine = planMachine({ machines: 2, dataDir: '/d', workspaceRoot: '/w', updater, roots: { 'core-2': '/d/core-2/slots/B' } }, 2);
    expect(machine.daemons.map((daemon) => daemon.script)).toEqual([
      '/d/core-2/slots/B/apps/kv/dist/kvd/main.js',
      '/d/core-2/slots/B/apps/scheduler/dist/schedulerd/main.js',
      '/d/core-2/slots/B/apps/updater/dist/updaterd/main.js',
    ]);
    expect(planMachine({ machines: 2, dataDir: '/d', workspaceRoot: '/w', roots: { 'core-2': '/d/core-2/slots/B' } }, 1).daemons[0]?.script).toBe('/w/apps/kv/dist/kvd/main.js');
  });
});
