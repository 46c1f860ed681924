import { describe, expect, it } from 'vitest';
import { parseUnitFile } from './parse.js';
import { serializeUnitFile, unitHash } from './serialize.js';

describe('serializeUnitFile', () => {
  it("writes go-systemd's canonical text: one blank line between sections, ending after the last newline", () => {
    const text = serializeUnitFile(parseUnitFile('# c\n[Unit]\nDescription=Hello\n\n\n[Service]\nExecStart=/bin/sleep 1000\n[X-Fleet]\nConflicts=hello*\n'));
    expect(text).toBe('[Unit]\nDescription=Hello\n\n[Service]\nExecStart=/bin/sleep 1000\n\n[X-Fleet]\nConflicts=hello*\n');
  });

  it('groups a repeated section under its first appearance', () => {
    expect(serializeUnitFile(parseUnitFile('[A]\nx=1\n[B]\ny=2\n[A]\nz=3\n'))).toBe('[A]\nx=1\nz=3\n\n[B]\ny=2\n');
  });

  it('writes nothing for no options', () => {
    expect(serializeUnitFile([])).toBe('');
  });

  it('round-trips: parse(serialize(options)) gives the same options', () => {
    const options = parseUnitFile('[Service]\nEnvironment="A=1 2"\nExecStart=\nExecStart=/bin/true\n[X-Fleet]\nMachineMetadata="a=1" "b=2"\n');
    expect(parseUnitFile(serializeUnitFile(options))).toEqual(options);
  });
});

describe('unitHash', () => {
  it("is fleet's SHA-1 of the canonical text (value checked against fleet)", () => {
    expect(unitHash([{ section: 'Service', name: 'ExecStart', value: '/bin/sleep 1000' }])).toMatch(/^2d432f4a/);
  });

  it('ignores comments and formatting, not option order', () => {
    const a = unitHash(parseUnitFile('[Service]\nA=1\nB=2\n'));
    expect(unitHash(parseUnitFile('# x\n[Service]\n  A = 1\nB=2\n'))).toBe(a);
    expect(unitHash(parseUnitFile('[Service]\nB=2\nA=1\n'))).not.toBe(a);
  });
});
