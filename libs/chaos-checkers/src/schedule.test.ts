import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { blockedPeers, describeFault, FAULT_KINDS, generateSchedule, LEADER } from './schedule.js';

const machines = ['core-1', 'core-2', 'core-3', 'core-4', 'core-5'];

describe('generateSchedule', () => {
  it('is a function of the seed: the same seed gives the same faults, another seed others', () => {
    const a = generateSchedule({ seed: 7, durationMs: 120_000, machines });
    expect(generateSchedule({ seed: 7, durationMs: 120_000, machines })).toEqual(a);
    expect(generateSchedule({ seed: 8, durationMs: 120_000, machines })).not.toEqual(a);
    expect(a.length).toBeGreaterThan(5);
  });

  it('keeps faults one at a time, after the warm-up and healed before the end', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const faults = generateSchedule({ seed, durationMs: 90_000, machines, warmupMs: 4_000 });
      let free = 4_000;
      for (const fault of faults) {
        expect(fault.atMs).toBeGreaterThanOrEqual(free);
        expect(fault.atMs + fault.holdMs).toBeLessThanOrEqual(90_000);
        free = fault.atMs + fault.holdMs;
      }
    }
  });

  it('places each kind sensibly: minority smaller than majority, bridge halves disjoint, targets real machines', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      for (const fault of generateSchedule({ seed, durationMs: 120_000, machines })) {
        seen.add(fault.kind);
        if (fault.target !== undefined) expect([...machines, LEADER]).toContain(fault.target);
        if (fault.kind === 'partition-minority') {
          const [minority, majority] = fault.groups as [string[], string[]];
          expect(minority.length).toBe(2);
          expect(majority.length).toBe(3);
          expect([...minority, ...majority].sort()).toEqual(machines);
        }
        if (fault.kind === 'partition-bridge') {
          const [a, b] = fault.groups as [string[], string[]];
          expect([fault.bridge, ...a, ...b].sort()).toEqual(machines);
          expect(a.length).toBe(2);
          expect(b.length).toBe(2);
        }
        if (fault.kind === 'partition-leader') expect(fault.target).toBe(LEADER);
        if (fault.kind === 'halt' || fault.kind === 'crash') expect(machines).toContain(fault.target);
      }
    }
    expect([...seen].sort()).toEqual([...FAULT_KINDS].sort());
  });

  it('draws only the kinds asked for, and nothing when none or the run is too short', () => {
    const faults = generateSchedule({ seed: 3, durationMs: 60_000, machines, kinds: ['pause'] });
    expect(faults.length).toBeGreaterThan(0);
    expect(faults.every((fault) => fault.kind === 'pause')).toBe(true);
    expect(generateSchedule({ seed: 3, durationMs: 60_000, machines, kinds: [] })).toEqual([]);
    expect(generateSchedule({ seed: 3, durationMs: 4_000, machines })).toEqual([]);
  });
});

describe('blockedPeers and describeFault', () => {
  it('cuts each group from the others and leaves a bridge machine out of every rule', () => {
    const blocked = blockedPeers([['core-1', 'core-2'], ['core-4', 'core-5']]);
    expect(blocked.get('core-1')).toEqual(['core-4', 'core-5']);
    expect(blocked.get('core-5')).toEqual(['core-1', 'core-2']);
    expect(blocked.has('core-3')).toBe(false);
  });

  it('says what a fault does in one line', () => {
    expect(describeFault({ id: 3, kind: 'partition-bridge', atMs: 0, holdMs: 7_500, groups: [['core-1'], ['core-4']], bridge: 'core-2' })).toBe('#3 partition-bridge 7.5 s: [core-1] | [core-4] (bridge core-2)');
    expect(describeFault({ id: 1, kind: 'pause', atMs: 0, holdMs: 2_000, target: LEADER })).toBe('#1 pause 2.0 s: @leader');
  });
});

describe('parseDuration', () => {
  it('reads seconds, minutes, milliseconds and bare seconds', () => {
    expect(parseDuration('120s')).toBe(120_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1500ms')).toBe(1_500);
    expect(parseDuration('45')).toBe(45_000);
    expect(() => parseDuration('soon')).toThrow('not a duration');
  });
});
