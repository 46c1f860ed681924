import { describe, expect, it } from 'vitest';
import { machineAddress, planCluster } from './plan.js';

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
