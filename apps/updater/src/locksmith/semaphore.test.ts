import { describe, expect, it } from 'vitest';
import { initialSemaphore, lockSemaphore, parseSemaphore, rebootLockKey, serializeSemaphore, setSemaphoreMax, unlockSemaphore } from './semaphore.js';

describe('locksmith’s semaphore', () => {
  it('lives at locksmith’s key, per group with Go’s query escaping', () => {
    expect(rebootLockKey()).toBe('/coreos.com/updateengine/rebootlock/semaphore');
    expect(rebootLockKey('lb 1')).toBe('/coreos.com/updateengine/rebootlock/groups/lb+1/semaphore');
  });

  it('writes locksmith’s JSON: holders null at first, [] after the last unlock', () => {
    expect(serializeSemaphore(initialSemaphore)).toBe('{"semaphore":1,"max":1,"holders":null}');
    const held = lockSemaphore(initialSemaphore, '69d27b356a94476da859461d3a3bc6fd');
    expect(serializeSemaphore(held)).toBe('{"semaphore":0,"max":1,"holders":["69d27b356a94476da859461d3a3bc6fd"]}');
    expect(serializeSemaphore(unlockSemaphore(held, '69d27b356a94476da859461d3a3bc6fd'))).toBe('{"semaphore":1,"max":1,"holders":[]}');
    expect(parseSemaphore('{"semaphore":0,"max":1,"holders":["a"]}')).toEqual({ semaphore: 0, max: 1, holders: ['a'] });
    expect(() => parseSemaphore('{"semaphore":"x"}')).toThrow(/not \{"semaphore"/);
  });

  it('follows locksmith’s rules and error texts', () => {
    const two = setSemaphoreMax(initialSemaphore, 2);
    expect(two).toEqual({ semaphore: 2, max: 2, holders: null });
    const b = lockSemaphore(two, 'b');
    const ab = lockSemaphore(b, 'a');
    expect(ab).toEqual({ semaphore: 0, max: 2, holders: ['a', 'b'] });
    // the count is checked before the holder: a holder cannot re-lock at 0 (locksmith#58)
    expect(() => lockSemaphore(ab, 'a')).toThrow('semaphore is at 0');
    expect(() => lockSemaphore(b, 'b')).toThrow('holder exists');
    expect(() => unlockSemaphore(b, 'z')).toThrow('holder does not exist');
    // set-max keeps the holders; the free count may go negative
    expect(setSemaphoreMax(ab, 1)).toEqual({ semaphore: -1, max: 1, holders: ['a', 'b'] });
  });
});
