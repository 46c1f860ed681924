import dbus from 'dbus-next';
import { describe, expect, it } from 'vitest';
import { applyProperties, describeMainExit, emptyUnitProperties, sameProperties } from './unit-properties.js';

describe('unit properties', () => {
  it('reads Variants and plain values, BigInt µs timestamps as Dates, and ignores other properties', () => {
    const properties = applyProperties(emptyUnitProperties, {
      ActiveState: new dbus.Variant('s', 'active'),
      SubState: 'running',
      MainPID: new dbus.Variant('u', 486),
      StateChangeTimestamp: new dbus.Variant('t', 1795675300899849n),
      ExecStart: new dbus.Variant('a(sasbttttuii)', []),
    });
    expect(properties).toMatchObject({ activeState: 'active', subState: 'running', mainPid: 486, loadState: 'stub' });
    expect(properties.stateChangeTimestamp?.toISOString()).toBe('2026-11-26T06:41:40.899Z');
    expect(applyProperties(properties, { StateChangeTimestamp: 0n }).stateChangeTimestamp).toBeUndefined();
    expect(sameProperties(properties, applyProperties(properties, { SubState: 'running' }))).toBe(true);
    expect(sameProperties(properties, applyProperties(properties, { SubState: 'exited' }))).toBe(false);
  });

  it('describes the last exit as systemctl status does', () => {
    expect(describeMainExit({ execMainCode: 0, execMainStatus: 0 })).toBeUndefined();
    expect(describeMainExit({ execMainCode: 1, execMainStatus: 3 })).toBe('code=exited, status=3');
    expect(describeMainExit({ execMainCode: 2, execMainStatus: 9 })).toBe('code=killed, signal=KILL');
    expect(describeMainExit({ execMainCode: 3, execMainStatus: 11 })).toBe('code=dumped, signal=SEGV');
  });
});
