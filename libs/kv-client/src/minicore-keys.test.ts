import { describe, expect, it } from 'vitest';
import { minicoreKeys } from './minicore-keys.js';

describe('minicoreKeys', () => {
  it('keeps locks and elections under /_minicore', () => {
    expect(minicoreKeys.lock('deploy')).toBe('/_minicore/locks/deploy');
    expect(minicoreKeys.election('scheduler')).toBe('/_minicore/elections/scheduler');
  });

  it('puts one service announcement per service and machine under /services', () => {
    expect(minicoreKeys.service('web', 'm1')).toBe('/services/web/m1');
    expect(minicoreKeys.serviceDir('web')).toBe('/services/web');
    expect(minicoreKeys.service('web', 'm1').startsWith(`${minicoreKeys.services}/`)).toBe(true);
  });

  it("spells locksmith's reboot semaphore as locksmith does", () => {
    expect(minicoreKeys.rebootLock).toBe('/coreos.com/updateengine/rebootlock/semaphore');
  });

  it('refuses names that would change the layout, naming what is wrong', () => {
    expect(() => minicoreKeys.service('a/b', 'm1')).toThrow('"a/b" is not a valid service name');
    expect(() => minicoreKeys.service('web', '')).toThrow('"" is not a valid machine id');
    expect(() => minicoreKeys.serviceDir('')).toThrow('not a valid service name');
    expect(() => minicoreKeys.lock('x/y')).toThrow('"x/y" is not a valid name');
  });
});
