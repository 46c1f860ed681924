import { describe, expect, it } from 'vitest';
import { schedulerKeys } from './keys.js';
import { bytesToHash, hashToBytes } from './records.js';

describe('scheduler keys', () => {
  it("follow fleet's layout under its default prefix", () => {
    const keys = schedulerKeys();
    expect(keys.targetState('hello.service')).toBe('/_coreos.com/fleet/job/hello.service/target-state');
    expect(keys.unitState('hello.service', 'abc')).toBe('/_coreos.com/fleet/states/hello.service/abc');
    expect(keys.machineObject('abc')).toBe('/_coreos.com/fleet/machines/abc/object');
    expect(keys.engineLease).toBe('/_coreos.com/fleet/lease/engine-leader');
    expect(schedulerKeys('/test/').jobs).toBe('/test/job');
  });

  it('refuses names that would escape their key', () => {
    expect(() => schedulerKeys().job('a/b.service')).toThrow('cannot be a kv key segment');
    expect(() => schedulerKeys().machineObject('')).toThrow('cannot be a kv key segment');
  });

  it('stores hashes as byte arrays like fleet', () => {
    const hash = '18a24c52ada1f9f9e0885d65956ffdae703e4a9e';
    expect(hashToBytes(hash).slice(0, 2)).toEqual([24, 162]);
    expect(bytesToHash(hashToBytes(hash))).toBe(hash);
  });
});
