import { fleetRequirements, parseUnitFile, unitHash } from '@minicore/unit-file';
import { describe, expect, it } from 'vitest';
import type { ClusterMachine, ClusterUnit } from '../registry/model.js';
import { decodeSchedule, encodeSchedule } from '../registry/schedule-index.js';
import { diffSchedule, expectedSchedule } from './schedule-plan.js';

function unit(name: string, xFleet = '', extra: Partial<ClusterUnit> = {}): ClusterUnit {
  const options = parseUnitFile(`[Service]\nExecStart=/bin/sleep 100\n[X-Fleet]\n${xFleet}`);
  return { name, hash: unitHash(options), options, desiredState: 'launched', target: undefined, jobState: undefined, requirements: fleetRequirements(options, name), ...extra };
}

const machines = new Map<string, ClusterMachine>([
  ['m1', { id: 'm1', publicIP: '', metadata: { role: 'edge' } }],
  ['m2', { id: 'm2', publicIP: '', metadata: {} }],
]);

describe('the schedule index the engine keeps for the agents', () => {
  it("lists each machine's placed units and the global units its metadata matches, never inactive units or templates", () => {
    const expected = expectedSchedule(
      [
        unit('a.service', '', { target: 'm1' }),
        unit('b.service', '', { target: 'm2', desiredState: 'loaded' }),
        unit('off.service', '', { target: 'm2', desiredState: 'inactive' }),
        unit('edge.service', 'Global=true\nMachineMetadata=role=edge'),
        unit('all.service', 'Global=true'),
        unit('tpl@.service', 'Global=true'),
        unit('lost.service', '', { target: 'gone' }),
      ],
      machines,
    );
    expect(Object.fromEntries([...expected].map(([id, entries]) => [id, entries.map((entry) => `${entry.name}:${entry.desiredState}`).sort()]))).toEqual({
      m1: ['a.service:launched', 'all.service:launched', 'edge.service:launched'],
      m2: ['all.service:launched', 'b.service:loaded'],
    });
  });

  it('writes only the lists that changed, and drops the lists of machines that went away', () => {
    const expected = expectedSchedule([unit('a.service', '', { target: 'm1' })], machines);
    const current = new Map([
      ['m1', encodeSchedule(expected.get('m1')!)],
      ['gone', encodeSchedule([])],
    ]);
    expect(diffSchedule(current, expected)).toEqual([
      { kind: 'drop', machine: 'gone' },
      { kind: 'put', machine: 'm2', encoded: '{"units":[]}' },
    ]);
  });

  it('encodes in name order (equal lists, equal text) and decodes leaving malformed entries out', () => {
    const hash = 'a'.repeat(40);
    const text = encodeSchedule([
      { name: 'b.service', hash, desiredState: 'loaded' },
      { name: 'a.service', hash, desiredState: 'launched' },
    ]);
    expect(text).toBe(`{"units":[{"name":"a.service","hash":"${hash}","desiredState":"launched"},{"name":"b.service","hash":"${hash}","desiredState":"loaded"}]}`);
    expect(decodeSchedule(text).map((entry) => entry.name)).toEqual(['a.service', 'b.service']);
    expect(decodeSchedule(`{"units":[{"name":"x.service","hash":"nothex","desiredState":"launched"},{"name":"y.service","hash":"${hash}","desiredState":"running"},null]}`)).toEqual([]);
    expect(decodeSchedule('not json')).toEqual([]);
    expect(decodeSchedule(undefined)).toEqual([]);
  });
});
