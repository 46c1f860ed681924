import { describe, expect, it } from 'vitest';
import { checkScheduler, noQuorumIntervals, type UnitRound } from './scheduler-checker.js';

const machines = ['m1', 'm2', 'm3'];
const units = [
  { name: 'a.service', global: false, conflicts: ['web@*'] },
  { name: 'web@1.service', global: false, conflicts: ['web@*'] },
  { name: 'web@2.service', global: false, conflicts: ['web@*'] },
  { name: 'g.service', global: true, conflicts: [] },
];
/** Rounds of 1 s from `fromS` to `toS`, each with the views `at(second)` gives. */
function rounds(fromS: number, toS: number, at: (second: number) => Record<string, string[] | null>): UnitRound[] {
  const list: UnitRound[] = [];
  for (let second = fromS; second < toS; second++) list.push({ startMs: second * 1000, endMs: second * 1000 + 500, views: at(second) });
  return list;
}
const steady = { m1: ['a.service', 'g.service'], m2: ['web@1.service', 'g.service'], m3: ['web@2.service', 'g.service'] };
const base = { units, machines, ttlMs: 10_000, settleMs: 10_000, quorumEvidence: Array.from({ length: 100 }, (_, i) => i * 500) };

describe('checkScheduler', () => {
  it('passes a steady cluster, and a unit that moves within the TTL + 10 s of its machine halting', () => {
    const views = (second: number) => (second >= 10 && second < 25 ? { m1: [], m2: second >= 22 ? ['web@1.service', 'g.service', 'a.service'] : ['web@1.service', 'g.service'], m3: ['web@2.service', 'g.service'] } : steady);
    const { verdicts, figures } = checkScheduler({ ...base, rounds: rounds(0, 60, views), faults: [{ startMs: 10_000, endMs: 25_000 }], healedAtMs: 40_000 });
    expect(verdicts.map((v) => v.result)).toEqual(['pass', 'pass']);
    expect(figures.moves['a.service']).toBe(2);
    expect(figures.settledAfterHealMs).toBeLessThan(1_000);
  });

  it('fails a unit running on two machines in consecutive rounds after the settling time, not during the fault', () => {
    const twice = { ...steady, m2: ['web@1.service', 'g.service', 'a.service'] };
    const during = checkScheduler({ ...base, rounds: rounds(0, 60, (s) => (s >= 10 && s < 25 ? twice : steady)), faults: [{ startMs: 10_000, endMs: 20_000 }], healedAtMs: 20_000 });
    expect(during.verdicts[0]!.result).toBe('pass');
    expect(during.figures.doubleRoundsDuringFaults).toBeGreaterThan(0);
    const after = checkScheduler({ ...base, rounds: rounds(0, 60, (s) => (s >= 10 && s < 40 ? twice : steady)), faults: [{ startMs: 10_000, endMs: 20_000 }], healedAtMs: 20_000 });
    expect(after.verdicts[0]!.result).toBe('fail');
    expect(after.verdicts[0]!.details[0]).toContain('a.service on m1 and m2');
    // One round alone is not enough (a move caught between two questions).
    const once = checkScheduler({ ...base, rounds: rounds(0, 60, (s) => (s === 45 ? twice : steady)), faults: [{ startMs: 10_000, endMs: 20_000 }], healedAtMs: 20_000 });
    expect(once.verdicts[0]!.result).toBe('pass');
  });

  it('fails conflicting units on one machine after the heal', () => {
    const bad = { ...steady, m2: ['web@1.service', 'web@2.service', 'g.service'], m3: ['g.service'] };
    const { verdicts } = checkScheduler({ ...base, rounds: rounds(0, 40, (s) => (s > 30 ? bad : steady)), faults: [], healedAtMs: 5_000 });
    expect(verdicts[0]!.result).toBe('fail');
    expect(verdicts[0]!.details.join()).toContain('web@1.service and web@2.service on m2');
  });

  it('fails a unit running nowhere for longer than TTL + 10 s while kv had a quorum, and excuses time without one', () => {
    const gone = { ...steady, m1: ['g.service'] };
    const views = (s: number) => (s >= 10 && s < 35 ? gone : steady);
    const late = checkScheduler({ ...base, rounds: rounds(0, 60, views), faults: [{ startMs: 10_000, endMs: 12_000 }], healedAtMs: 12_000 });
    expect(late.verdicts[1]!.result).toBe('fail');
    expect(late.verdicts[1]!.details[0]).toContain('a.service ran nowhere from 10.5 s until 35.0 s');
    const noQuorum = base.quorumEvidence.filter((t) => t < 12_000 || t > 22_000);
    const excused = checkScheduler({ ...base, quorumEvidence: noQuorum, rounds: rounds(0, 60, views), faults: [{ startMs: 10_000, endMs: 12_000 }], healedAtMs: 30_000 });
    expect(excused.verdicts[1]!.result).toBe('pass');
    // A machine going down to reboot within the gap starts the TTL + 10 s again (a machine loss of its own).
    expect(checkScheduler({ ...base, reboots: [20_000], rounds: rounds(0, 60, views), faults: [{ startMs: 10_000, endMs: 12_000 }], healedAtMs: 12_000 }).verdicts[1]!.result).toBe('pass');
    expect(checkScheduler({ ...base, reboots: [12_000], rounds: rounds(0, 60, views), faults: [{ startMs: 10_000, endMs: 12_000 }], healedAtMs: 12_000 }).verdicts[1]!.details[0]).toContain('(23.0 s after a machine went down to reboot at 12.0 s)');
  });

  it('fails when the units do not all run after the heal (a Global unit running nowhere), and reports when Global ones ran everywhere', () => {
    const { verdicts } = checkScheduler({ ...base, rounds: rounds(0, 30, (s) => (s >= 5 ? { m1: ['a.service'], m2: ['web@1.service'], m3: ['web@2.service'] } : steady)), faults: [], healedAtMs: 5_000 });
    expect(verdicts[1]!.result).toBe('fail');
    expect(verdicts[1]!.details.join()).toContain('g.service runs nowhere');
    const late = checkScheduler({ ...base, rounds: rounds(0, 40, (s) => (s >= 5 && s < 35 ? { ...steady, m3: ['web@2.service'] } : steady)), faults: [], healedAtMs: 5_000 });
    expect(late.verdicts[1]!.result).toBe('pass');
    expect(late.figures.globalsEverywhereAfterHealMs).toBe(30_500);
  });

  it('does not count a gap while a machine could not be asked', () => {
    const views = (s: number) => (s >= 10 && s < 40 ? { m1: null, m2: steady.m2, m3: steady.m3 } : steady);
    expect(checkScheduler({ ...base, rounds: rounds(0, 60, views), faults: [], healedAtMs: 5_000 }).verdicts[1]!.result).toBe('pass');
  });
});

describe('noQuorumIntervals', () => {
  it('finds the stretches without an acknowledged write', () => {
    expect(noQuorumIntervals([1_000, 2_000, 6_000, 7_000], 0, 8_000, 2_000)).toEqual([{ startMs: 2_000, endMs: 6_000 }]);
  });
});

describe('checkScheduler at the end', () => {
  it('holds a unit that stops running after the heal to the TTL + 10 s rule, up to the end of the run', () => {
    const gone = (from: number, to: number) => checkScheduler({ ...base, rounds: rounds(0, to, (s) => (s >= from ? { ...steady, m3: ['g.service'] } : steady)), faults: [], healedAtMs: 5_000 });
    expect(gone(25, 30).verdicts[1]!.result).toBe('pass');
    const late = gone(25, 50).verdicts[1]!;
    expect(late.result).toBe('fail');
    expect(late.details.join()).toContain('web@2.service ran nowhere from 25.5 s to the end of the run');
  });
});
