import { describe, expect, it } from 'vitest';
import { formatAnnounceLabel, parseAnnounceLabel, parseAnnounceSpec } from './announce.js';

describe('--announce NAME:PORT', () => {
  it('reads a service name and a container port', () => {
    expect(parseAnnounceSpec('web:8080')).toEqual({ service: 'web', port: 8080 });
    expect(parseAnnounceSpec(' api.v2_x-1:1 ')).toEqual({ service: 'api.v2_x-1', port: 1 });
  });

  it.each(['web', 'web:', ':8080', 'web:0', 'web:65536', 'we/b:80', 'web:80/tcp', '-web:80', 'web:8o'])('refuses %j, quoting it', (spec) => {
    expect(() => parseAnnounceSpec(spec)).toThrow(`invalid --announce "${spec}": expected NAME:PORT`);
  });

  it('round-trips through the label, skipping damaged entries', () => {
    const specs = [{ service: 'web', port: 8080 }, { service: 'admin', port: 9090 }];
    expect(formatAnnounceLabel(specs)).toBe('web:8080,admin:9090');
    expect(parseAnnounceLabel('web:8080,admin:9090')).toEqual(specs);
    expect(parseAnnounceLabel('web:8080,garbage')).toEqual([specs[0]]);
    expect(parseAnnounceLabel(undefined)).toEqual([]);
  });
});
