import { fleetRequirements, parseUnitFile, unitHash } from '@minicore/unit-file';
import { describe, expect, it } from 'vitest';
import type { ClusterMachine, ClusterUnit } from '../registry/model.js';
import { ableToRun, busier, ClusterLoad, planPlacement, type PlacementAction } from './placement.js';

function unit(name: string, xFleet = '', extra: Partial<ClusterUnit> = {}): ClusterUnit {
  const options = parseUnitFile(`[Service]\nExecStart=/bin/sleep 100\n[X-Fleet]\n${xFleet}`);
  return { name, hash: unitHash(options), options, desiredState: 'launched', target: undefined, jobState: undefined, requirements: fleetRequirements(options, name), ...extra };
}

function machines(...specs: (string | [string, Record<string, string>])[]): Map<string, ClusterMachine> {
  return new Map(specs.map((spec) => (typeof spec === 'string' ? [spec, { id: spec, publicIP: '', metadata: {} }] : [spec[0], { id: spec[0], publicIP: '', metadata: spec[1] }])));
}

function units(...list: ClusterUnit[]): Map<string, ClusterUnit> {
  return new Map(list.map((u) => [u.name, u]));
}

function schedules(actions: PlacementAction[]): Record<string, string> {
  return Object.fromEntries(actions.filter((a) => a.kind === 'schedule').map((a) => [a.unit, a.machine]));
}

describe('planPlacement', () => {
  it('places each unit on the machine with the fewest units, ties by machine id', () => {
    const plan = planPlacement(units(unit('a.service'), unit('b.service'), unit('c.service'), unit('d.service', '', { target: 'm2' })), machines('m1', 'm2', 'm3'));
    expect(schedules(plan)).toEqual({ 'a.service': 'm1', 'b.service': 'm3', 'c.service': 'm1' });
  });

  it('leaves inactive units alone and unschedules units whose desired state became inactive', () => {
    const plan = planPlacement(units(unit('a.service', '', { desiredState: 'inactive' }), unit('b.service', '', { desiredState: 'inactive', target: 'm1' })), machines('m1'));
    expect(plan).toEqual([{ kind: 'unschedule', unit: 'b.service', machine: 'm1', reason: 'desired state is inactive' }]);
  });

  it('places loaded units too', () => {
    expect(schedules(planPlacement(units(unit('a.service', '', { desiredState: 'loaded' })), machines('m1')))).toEqual({ 'a.service': 'm1' });
  });

  it('moves the units of a machine that went away', () => {
    const plan = planPlacement(units(unit('a.service', '', { target: 'gone' })), machines('m1'));
    expect(plan).toEqual([
      { kind: 'unschedule', unit: 'a.service', machine: 'gone', reason: 'target machine gone went away' },
      { kind: 'schedule', unit: 'a.service', machine: 'm1' },
    ]);
  });

  it('keeps conflicting units apart, both ways, and leaves a unit unplaced when no machine is left', () => {
    const plan = planPlacement(units(unit('web@1.service', 'Conflicts=web@*.service'), unit('web@2.service', 'Conflicts=web@*.service'), unit('web@3.service', 'Conflicts=web@*.service'), unit('db.service', 'Conflicts=web@1.service')), machines('m1', 'm2'));
    const placed = schedules(plan);
    expect(placed['web@1.service']).not.toBe(placed['web@2.service']);
    expect(Object.keys(placed)).toHaveLength(3);
    expect(placed['db.service']).not.toBe(placed['web@1.service']);
  });

  it('honours MachineID (full or short id) and MachineMetadata', () => {
    const all = machines(['2444264c1d3f', { region: 'eu' }], ['9999aaaa0000', { region: 'us', disk: 'ssd' }]);
    const plan = planPlacement(
      units(unit('pinned.service', 'MachineID=2444264c'), unit('us-ssd.service', 'MachineMetadata=region=us\nMachineMetadata=disk=ssd'), unit('either.service', 'MachineMetadata="region=eu" "region=us"'), unit('nowhere.service', 'MachineMetadata=region=asia')),
      all,
    );
    expect(schedules(plan)).toEqual({ 'pinned.service': '2444264c1d3f', 'us-ssd.service': '9999aaaa0000', 'either.service': '2444264c1d3f' });
  });

  it('places MachineOf followers beside their leader, a whole chain in one pass', () => {
    const plan = planPlacement(units(unit('a-follower.service', 'MachineOf=z-leader.service'), unit('b-follower.service', 'MachineOf=a-follower.service'), unit('z-leader.service')), machines('m1', 'm2', 'm3'));
    const placed = schedules(plan);
    expect(placed['a-follower.service']).toBe(placed['z-leader.service']);
    expect(placed['b-follower.service']).toBe(placed['z-leader.service']);
  });

  it('unschedules a follower whose leader is no longer on its machine', () => {
    const plan = planPlacement(units(unit('leader.service', '', { target: 'm2' }), unit('follower.service', 'MachineOf=leader.service', { target: 'm1' })), machines('m1', 'm2'));
    expect(plan).toEqual([
      { kind: 'unschedule', unit: 'follower.service', machine: 'm1', reason: 'required peer leader.service is not scheduled on the machine' },
      { kind: 'schedule', unit: 'follower.service', machine: 'm2' },
    ]);
  });

  it('never places global units, but counts them for load and conflicts', () => {
    const all = machines(['m1', { role: 'edge' }], 'm2');
    const plan = planPlacement(units(unit('agent.service', 'Global=true\nMachineMetadata=role=edge'), unit('a-x.service'), unit('lonely.service', 'Conflicts=agent.service')), all);
    expect(schedules(plan)).toEqual({ 'a-x.service': 'm2', 'lonely.service': 'm2' });
  });

  it('Replaces: pushes the replaced unit to another machine', () => {
    const plan = planPlacement(units(unit('new.service', 'Replaces=old.service\nMachineID=m1'.replace('\nMachineID=m1', ''), { target: 'm1' }), unit('old.service', '', { target: 'm1' })), machines('m1', 'm2'));
    expect(plan).toEqual([
      { kind: 'unschedule', unit: 'old.service', machine: 'm1', reason: 'replaced by new.service' },
      { kind: 'schedule', unit: 'old.service', machine: 'm2' },
    ]);
  });

  it('does nothing when everything is placed correctly', () => {
    expect(planPlacement(units(unit('a.service', '', { target: 'm1' }), unit('b.service', '', { target: 'm2' })), machines('m1', 'm2'))).toEqual([]);
  });
});

describe('ableToRun', () => {
  it('explains why a machine cannot take a unit', () => {
    const all = machines('m1');
    const placedUnits = [unit('web@1.service', 'Conflicts=web@*.service', { target: 'm1' })];
    const load = new ClusterLoad(all, placedUnits);
    expect(ableToRun(all.get('m1')!, unit('web@2.service'), load)).toEqual({ ok: false, reason: 'conflicts with web@1.service' });
    expect(ableToRun(all.get('m1')!, placedUnits[0]!, load)).toEqual({ ok: true, reason: '' });
    expect(ableToRun(all.get('m1')!, unit('x.service', 'MachineID=m2'), load).reason).toBe('requires machine m2');
  });
});

describe('placement by load (--placement load)', () => {
  const gib = 1024 ** 3;
  function loaded(id: string, loadPerCpu: number | undefined, freeGiB = 4): [string, ClusterMachine] {
    return [id, { id, publicIP: '', metadata: {}, ...(loadPerCpu === undefined ? {} : { load: { loadPerCpu, freeMemoryBytes: freeGiB * gib } }) }];
  }

  it('places on the least busy machine, not the one with the fewest units', () => {
    const all = new Map([loaded('m1', 0.9), loaded('m2', 0.1), loaded('m3', 0.5)]);
    const plan = planPlacement(units(unit('a.service'), unit('x.service', '', { target: 'm2' }), unit('y.service', '', { target: 'm2' })), all, { strategy: 'load' });
    expect(schedules(plan)).toEqual({ 'a.service': 'm2' });
    // fleet's rule would have picked an empty machine
    expect(schedules(planPlacement(units(unit('a.service'), unit('x.service', '', { target: 'm2' })), all))).toEqual({ 'a.service': 'm1' });
  });

  it('breaks load ties by free memory, then by units, then by id', () => {
    const all = new Map([loaded('m1', 0.2, 2), loaded('m2', 0.2, 8), loaded('m3', 0.22, 8)]);
    // m2 and m3 are in the same load step with the same free memory: units decide, so they alternate.
    expect(schedules(planPlacement(units(unit('a.service'), unit('b.service'), unit('c.service')), all, { strategy: 'load' }))).toEqual({ 'a.service': 'm2', 'b.service': 'm3', 'c.service': 'm2' });
  });

  it('still honours constraints: the least busy machine that may run the unit', () => {
    const all = new Map([loaded('m1', 0.9), loaded('m2', 0.1)]);
    const plan = planPlacement(units(unit('a.service', 'Conflicts=b.service'), unit('b.service', '', { target: 'm2' })), all, { strategy: 'load' });
    expect(schedules(plan)).toEqual({ 'a.service': 'm1' });
  });

  it('puts machines that report no load after those that do', () => {
    const all = new Map([loaded('m1', undefined), loaded('m2', 3)]);
    expect(schedules(planPlacement(units(unit('a.service')), all, { strategy: 'load' }))).toEqual({ 'a.service': 'm2' });
    expect(busier(all.get('m1')!, all.get('m2')!)).toBeGreaterThan(0);
    expect(busier(all.get('m1')!, all.get('m1')!)).toBe(0);
  });
});
