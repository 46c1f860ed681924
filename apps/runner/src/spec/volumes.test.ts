import { describe, expect, it } from 'vitest';
import { formatVolumeBinding, parseVolumeSpec } from './volumes.js';

describe('parseVolumeSpec', () => {
  it('reads host paths, named volumes and modes', () => {
    expect(parseVolumeSpec('/srv/data:/data:ro')).toEqual({ source: '/srv/data', target: '/data', readOnly: true });
    expect(parseVolumeSpec('cache:/cache')).toEqual({ source: 'cache', target: '/cache', readOnly: false });
    expect(formatVolumeBinding(parseVolumeSpec('/a:/b:ro'))).toBe('/a:/b:ro');
  });
  it.each([
    ['/data', /expected SOURCE:TARGET/],
    ['/a:data', /must be an absolute path/],
    ['./rel:/data', /neither an absolute host path nor a volume name/],
    ['/a:/b:rx', /unknown mode "rx"/],
  ])('rejects %j', (spec, message) => {
    expect(() => parseVolumeSpec(spec)).toThrow(message);
  });
});
