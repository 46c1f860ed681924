import { describe, expect, it } from 'vitest';
import { serviceDir, serviceKey } from './service-keys.js';

describe('service announcement keys', () => {
  it('puts one key per service and machine under /services', () => {
    expect(serviceKey('web', 'm1')).toBe('/services/web/m1');
    expect(serviceDir('web')).toBe('/services/web');
  });

  it('refuses names that would change the layout', () => {
    expect(() => serviceKey('a/b', 'm1')).toThrow('not a valid service name');
    expect(() => serviceKey('web', '')).toThrow('not a valid machine id');
  });
});
