import { describe, expect, it } from 'vitest';
import { planCluster } from './cluster-plan.js';

const common = { baseDir: '/tmp/b', ports: [5001, 5002, 5003, 5004, 5005, 5006], etcdBinary: '/usr/bin/etcd', kvdScript: '/w/kvd/main.js', nodeBinary: '/usr/bin/node' };

describe('planCluster', () => {
  it('gives every member its own loopback ports, data dir and the shared initial cluster', () => {
    const plan = planCluster({ ...common, system: 'kvd', size: 3 });
    expect(plan.map((m) => [m.name, m.clientUrl, m.peerUrl, m.dataDir])).toEqual([
      ['kvd1', 'http://127.0.0.1:5001', 'http://127.0.0.1:5002', '/tmp/b/kvd1.data'],
      ['kvd2', 'http://127.0.0.1:5003', 'http://127.0.0.1:5004', '/tmp/b/kvd2.data'],
      ['kvd3', 'http://127.0.0.1:5005', 'http://127.0.0.1:5006', '/tmp/b/kvd3.data'],
    ]);
    const args = plan[1]?.args ?? [];
    expect(plan[1]?.command).toBe('/usr/bin/node');
    expect(args[0]).toBe('/w/kvd/main.js');
    expect(args.join(' ')).toContain('--initial-cluster kvd1=http://127.0.0.1:5002,kvd2=http://127.0.0.1:5004,kvd3=http://127.0.0.1:5006');
    expect(args.join(' ')).toContain('--heartbeat-interval 100 --election-timeout 1000');
    expect(args).not.toContain('--enable-v2');
  });

  it('runs etcd with the same flags plus --enable-v2', () => {
    const [etcd] = planCluster({ ...common, system: 'etcd', size: 1 });
    const [kvd] = planCluster({ ...common, system: 'kvd', size: 1 });
    expect(etcd?.command).toBe('/usr/bin/etcd');
    expect(etcd?.args).toContain('--enable-v2');
    const flagNames = (args: string[]) => args.filter((arg) => arg.startsWith('--'));
    expect(flagNames(etcd?.args ?? [])).toEqual(expect.arrayContaining(flagNames(kvd?.args ?? [])));
  });

  it('can run kvd members under the CPU profiler', () => {
    const [kvd] = planCluster({ ...common, system: 'kvd', size: 1, cpuProfileDir: '/p' });
    expect(kvd?.args.slice(0, 4)).toEqual(['--cpu-prof', '--cpu-prof-dir=/p', '--cpu-prof-name=kvd1.cpuprofile', '/w/kvd/main.js']);
  });

  it('needs two ports per member', () => {
    expect(() => planCluster({ ...common, system: 'etcd', size: 4 })).toThrow(/ports/);
  });
});
