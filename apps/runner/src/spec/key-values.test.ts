import { describe, expect, it } from 'vitest';
import { collect, parseEnv, parseLabel } from './key-values.js';

describe('parseEnv', () => {
  it('splits at the first =, keeping = in values', () => {
    expect(parseEnv('A=b=c')).toEqual(['A', 'b=c']);
    expect(parseEnv('EMPTY=')).toEqual(['EMPTY', '']);
  });
  it('takes a bare KEY from the environment, or drops it', () => {
    expect(parseEnv('HOME', { HOME: '/root' })).toEqual(['HOME', '/root']);
    expect(parseEnv('UNSET', {})).toBeUndefined();
  });
  it('rejects empty keys and keys with spaces', () => {
    expect(() => parseEnv('=x')).toThrow('invalid environment variable "=x"');
    expect(() => parseEnv('A B=x')).toThrow(/without spaces/);
  });
  it('collects repeated variables, the last one winning', () => {
    expect(collect(['A=1', 'B=2', 'A=3', 'UNSET'], (spec) => parseEnv(spec, {}))).toEqual({ A: '3', B: '2' });
  });
});

describe('parseLabel', () => {
  it('reads key=value and bare keys', () => {
    expect(parseLabel('tier=web')).toEqual(['tier', 'web']);
    expect(parseLabel('canary')).toEqual(['canary', '']);
  });
  it("refuses runnerd's own labels and empty keys", () => {
    expect(() => parseLabel('io.minicore.runner.machine=x')).toThrow(/runnerd's own/);
    expect(() => parseLabel('=x')).toThrow('invalid label "=x": expected key=value');
  });
});
