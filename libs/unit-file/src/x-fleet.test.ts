import { describe, expect, it } from 'vitest';
import { parseUnitFile } from './parse.js';
import { unitOptionsProblem } from './validate.js';
import { fleetOptionsProblem, fleetRequirements, machineIdMatches, metadataMatches, splitQuotedList, unitsConflict } from './x-fleet.js';

function requirements(xFleet: string, name = 'web@1.service') {
  return fleetRequirements(parseUnitFile(`[Service]\nExecStart=/bin/true\n[X-Fleet]\n${xFleet}`), name);
}

describe('[X-Fleet] options', () => {
  it('has no requirements without the section', () => {
    expect(fleetRequirements(parseUnitFile('[Service]\nExecStart=/bin/true\n'), 'a.service')).toEqual({
      machineId: undefined,
      machineOf: [],
      machineMetadata: {},
      conflicts: [],
      replaces: [],
      global: false,
      unknownOptions: [],
    });
  });

  it('MachineID: the first value counts; the deprecated names are aliases', () => {
    expect(requirements('MachineID=abc\nMachineID=def\n').machineId).toBe('abc');
    expect(requirements('X-ConditionMachineID=abc\n').machineId).toBe('abc');
    expect(requirements('X-ConditionMachineBootID=abc\n').machineId).toBe('abc');
  });

  it('MachineID matches the full id or its first 8 characters', () => {
    const id = '2444264c1d3f4e8f8d3c0b5b7b0b5e11';
    expect(machineIdMatches(id, id)).toBe(true);
    expect(machineIdMatches('2444264c', id)).toBe(true);
    expect(machineIdMatches('2444264', id)).toBe(false);
    expect(machineIdMatches('other', id)).toBe(false);
  });

  it('MachineOf: exact names, accumulated, specifiers resolved', () => {
    expect(requirements('MachineOf=db.service\nX-ConditionMachineOf=cache@%i.service\n').machineOf).toEqual(['db.service', 'cache@1.service']);
  });

  it('MachineMetadata: quoted lists split, same key ORs, different keys AND, malformed pairs ignored', () => {
    const r = requirements('MachineMetadata="region=us" "region=eu" "disk=ssd"\nX-ConditionMachineMetadata=rack=%i\nMachineMetadata=bad\nMachineMetadata=a=b=c\nMachineMetadata==x\n');
    expect(r.machineMetadata).toEqual({ region: ['us', 'eu'], disk: ['ssd'], rack: ['1'] });
    expect(metadataMatches(r.machineMetadata, { region: 'eu', disk: 'ssd', rack: '1' })).toBe(true);
    expect(metadataMatches(r.machineMetadata, { region: 'asia', disk: 'ssd', rack: '1' })).toBe(false);
    expect(metadataMatches(r.machineMetadata, { region: 'us', rack: '1' })).toBe(false);
    expect(metadataMatches({}, {})).toBe(true);
  });

  it('a value that is not wholly quoted stays one value', () => {
    expect(splitQuotedList('region=us disk=ssd')).toEqual(['region=us disk=ssd']);
    expect(splitQuotedList('"a b" "c"')).toEqual(['a b', 'c']);
    expect(splitQuotedList('"region=us"')).toEqual(['region=us']);
  });

  it('Conflicts: globs, split on whitespace, X-Conflicts alias, symmetric', () => {
    const r = requirements('Conflicts=web@*.service other.service\nX-Conflicts=%p-db.service\n');
    expect(r.conflicts).toEqual(['web@*.service', 'other.service', 'web-db.service']);
    const me = { name: 'web@1.service', conflicts: r.conflicts };
    expect(unitsConflict(me, { name: 'web@2.service', conflicts: [] })).toBe(true);
    expect(unitsConflict({ name: 'x.service', conflicts: [] }, { name: 'y.service', conflicts: ['x*'] })).toBe(true);
    expect(unitsConflict({ name: 'x.service', conflicts: [] }, me)).toBe(false);
  });

  it('Replaces: globs, not split on whitespace', () => {
    expect(requirements('Replaces=old*.service\n').replaces).toEqual(['old*.service']);
    expect(requirements('Replaces=a b\n').replaces).toEqual(['a b']);
  });

  it.each([
    ['true', true],
    ['YES', true],
    ['1', true],
    ['on', true],
    ['t', true],
    ['false', false],
    ['no', false],
    ['maybe', false],
  ])('Global=%s is %s', (value, expected) => {
    expect(requirements(`Global=${value}\n`).global).toBe(expected);
  });

  it('Global: the last value wins; an empty assignment resets', () => {
    expect(requirements('Global=true\nGlobal=false\n').global).toBe(false);
    expect(requirements('Global=true\nGlobal=\n').global).toBe(false);
    expect(requirements('Conflicts=a*\nConflicts=\nConflicts=b*\n').conflicts).toEqual(['b*']);
  });

  it('collects unknown keys without refusing them', () => {
    expect(requirements('Peers=x\nMachineID=a\nFoo=1\n').unknownOptions).toEqual(['Peers', 'Foo']);
  });
});

describe("fleet's option validation", () => {
  it.each([
    ['MachineID=a\nMachineOf=b.service\n', 'MachineID cannot be used with Peers'],
    ['MachineID=a\nConflicts=b*\n', 'MachineID cannot be used with Conflicts'],
    ['MachineID=a\nGlobal=true\n', 'MachineID cannot be used with Global'],
    ['MachineID=a\nReplaces=b*\n', 'MachineID cannot be used with Replaces'],
    ['Global=true\nMachineOf=b.service\n', 'Global cannot be used with Peers'],
    ['Global=true\nReplaces=b*\n', 'Global cannot be used with Replaces'],
    ['Conflicts=a*\nReplaces=b*\n', 'Conflicts cannot be used with Replaces'],
    ['MachineOf=db.service\nConflicts=d*\n', 'unresolvable requirements: peer "db.service" matches conflict "d*"'],
    ['MachineOf=db.service\nReplaces=db*\n', 'unresolvable requirements: peer "db.service" matches replace "db*"'],
  ])('%j → %s', (xFleet, message) => {
    expect(fleetOptionsProblem(requirements(xFleet))).toBe(message);
  });

  it('accepts coherent combinations', () => {
    expect(fleetOptionsProblem(requirements('Global=true\nConflicts=x*\nMachineMetadata=a=b\n'))).toBeUndefined();
    expect(fleetOptionsProblem(requirements('MachineOf=db.service\nMachineMetadata=a=b\n'))).toBeUndefined();
  });

  it('unitOptionsProblem refuses options that do not survive the text round trip', () => {
    expect(unitOptionsProblem([{ section: 'Service', name: 'ExecStart', value: 'x'.repeat(3000) }], 'a.service')).toContain('limit is 2048');
    expect(unitOptionsProblem([{ section: 'Service', name: 'ExecStart', value: 'a \\' }], 'a.service')).toContain('round trip');
    expect(unitOptionsProblem([{ section: 'Ser]vice', name: 'A', value: '1' }], 'a.service')).toContain('section name');
    expect(unitOptionsProblem([{ section: 'Service', name: 'A B', value: '1' }], 'a.service')).toContain('option name');
    expect(unitOptionsProblem([{ section: 'Service', name: 'A', value: '1\n2' }], 'a.service')).toContain('line break');
    expect(unitOptionsProblem([{ section: 'X-Fleet', name: 'MachineID', value: 'a' }, { section: 'X-Fleet', name: 'Global', value: 'true' }], 'a.service')).toBe('MachineID cannot be used with Global');
    expect(unitOptionsProblem([{ section: 'Service', name: 'ExecStart', value: '/bin/true' }], 'a.service')).toBeUndefined();
  });
});
