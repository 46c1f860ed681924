import { describe, expect, it } from 'vitest';
import { isOwnedBy, isReservedLabel, ownedBy, userLabels } from './labels.js';

describe('runner labels', () => {
  it('select one machine’s managed containers', () => {
    expect(ownedBy('core-2')).toEqual(['io.minicore.runner=1', 'io.minicore.runner.machine=core-2']);
    expect(isOwnedBy({ 'io.minicore.runner': '1', 'io.minicore.runner.machine': 'core-2' }, 'core-2')).toBe(true);
    expect(isOwnedBy({ 'io.minicore.runner': '1', 'io.minicore.runner.machine': 'core-1' }, 'core-2')).toBe(false);
    // Made by hand with the machine label but not runnerd's managed mark: not runnerd's to touch.
    expect(isOwnedBy({ 'io.minicore.runner.machine': 'core-2' }, 'core-2')).toBe(false);
    expect(isOwnedBy(undefined, 'core-2')).toBe(false);
  });

  it('tell runnerd’s own labels from a person’s', () => {
    expect(isReservedLabel('io.minicore.runner')).toBe(true);
    expect(isReservedLabel('io.minicore.runner.restart')).toBe(true);
    expect(isReservedLabel('io.minicore.runnerx')).toBe(false);
    expect(userLabels({ 'io.minicore.runner': '1', 'io.minicore.runner.announce': 'web:80', 'io.minicore.runnerx': 'a', team: 'x' })).toEqual({ 'io.minicore.runnerx': 'a', team: 'x' });
  });
});
