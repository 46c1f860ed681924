import { describe, expect, it } from 'vitest';
import { parseContainerKvListen } from './container-kv.js';

describe('--container-kv-listen', () => {
  it('reads HOST:PORT, the bridge placeholder and off', () => {
    expect(parseContainerKvListen('bridge:2379')).toEqual({ host: 'bridge', port: 2379 });
    expect(parseContainerKvListen('172.17.0.1:0')).toEqual({ host: '172.17.0.1', port: 0 });
    expect(parseContainerKvListen('off')).toBe('off');
  });

  it.each(['bridge', ':2379', 'bridge:99999', 'a b:1'])('refuses %j', (text) => {
    expect(() => parseContainerKvListen(text)).toThrow(`invalid --container-kv-listen "${text}"`);
  });
});
