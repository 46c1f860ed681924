import { fleetRequirements, parseUnitFile, unitHash } from '@minicore/unit-file';
import { describe, expect, it } from 'vitest';
import type { ClusterUnit } from '../registry/model.js';
import { desiredUnits, planTasks } from './desired-units.js';

function unit(name: string, xFleet = '', extra: Partial<ClusterUnit> = {}): ClusterUnit {
  const options = parseUnitFile(`[Service]\nExecStart=/bin/true\n[X-Fleet]\n${xFleet}`);
  return { name, hash: unitHash(options), options, desiredState: 'launched', target: 'me', jobState: undefined, requirements: fleetRequirements(options, name), ...extra };
}

const me = { id: 'me', publicIP: '', metadata: { role: 'web' } };

describe("the agent's desired units", () => {
  it('takes units placed here and matching global units, drops conflicts in name order, skips inactive units and templates', () => {
    const units = [
      unit('a.service'),
      unit('elsewhere.service', '', { target: 'other' }),
      unit('off.service', '', { desiredState: 'inactive' }),
      unit('g-web.service', 'Global=true\nMachineMetadata=role=web', { target: undefined }),
      unit('g-db.service', 'Global=true\nMachineMetadata=role=db', { target: undefined }),
      unit('z-conflicts.service', 'Conflicts=a.service'),
      unit('t@.service'),
    ];
    expect(desiredUnits(units, me).map((u) => u.name)).toEqual(['a.service', 'g-web.service']);
  });

  it('plans unload → load → stop → start', () => {
    const a = unit('a.service');
    const b = unit('b.service', '', { desiredState: 'loaded' });
    const changed = unit('c.service');
    const tasks = planTasks([a, b, changed], [
      { name: 'b.service', hash: b.hash, launched: true },
      { name: 'c.service', hash: 'old', launched: true },
      { name: 'gone.service', hash: 'x', launched: true },
    ]);
    expect(tasks).toEqual([
      { kind: 'unload', unit: 'gone.service' },
      { kind: 'unload', unit: 'c.service' },
      { kind: 'load', unit: 'a.service' },
      { kind: 'load', unit: 'c.service' },
      { kind: 'stop', unit: 'b.service' },
      { kind: 'start', unit: 'a.service' },
      { kind: 'start', unit: 'c.service' },
    ]);
    expect(planTasks([a], [{ name: 'a.service', hash: a.hash, launched: true }])).toEqual([]);
  });
});
