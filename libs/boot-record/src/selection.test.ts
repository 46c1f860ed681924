import { describe, expect, it } from 'vitest';
import { BootRecordError, MAX_FIELD, initialBootRecord, type BootRecord, type SlotName, type SlotState } from './record.js';
import { decideBoot, isBootable, markGood, markUpdated, prioritize, rollbackTo, selectSlot } from './selection.js';

const s = (priority: number, tries: number, successful: 0 | 1): SlotState => ({ priority, tries, successful: successful === 1 });
const rec = (a: SlotState, b: SlotState): BootRecord => ({ A: a, B: b });

/** Every state one slot can be in: priority and tries 0-15, successful 0/1 (512 states). */
const allStates: SlotState[] = [];
for (let priority = 0; priority <= MAX_FIELD; priority++) {
  for (let tries = 0; tries <= MAX_FIELD; tries++) for (const successful of [false, true]) allStates.push({ priority, tries, successful });
}

describe('the gptprio table (research notes §3.3)', () => {
  const table: [SlotState, SlotState, SlotName | undefined, string][] = [
    // [A, B, chosen, note]
    [s(0, 0, 0), s(0, 0, 0), undefined, 'nothing bootable'],
    [s(0, 5, 1), s(0, 5, 1), undefined, 'priority 0 is never bootable, whatever tries/successful say'],
    [s(1, 0, 0), s(0, 0, 0), undefined, 'no tries, never successful: not bootable'],
    [s(1, 0, 1), s(0, 0, 0), 'A', 'successful with no tries left is bootable'],
    [s(1, 1, 0), s(0, 0, 0), 'A', 'tries left, not yet successful is bootable'],
    [s(1, 0, 1), s(2, 1, 0), 'B', 'a fresh update (tries=1, top priority) wins over the good slot'],
    [s(1, 0, 1), s(2, 0, 0), 'A', 'the update used its try without being marked good: fall back'],
    [s(1, 0, 1), s(2, 0, 1), 'B', 'the update was marked good'],
    [s(2, 0, 1), s(2, 0, 1), 'A', 'a tie keeps table order'],
    [s(2, 1, 0), s(2, 0, 1), 'A', 'a tie keeps table order even if the first slot is only on trial'],
    [s(1, 0, 1), s(1, 3, 0), 'A', 'equal priority: the second slot does not replace the first'],
    [s(3, 0, 0), s(1, 0, 1), 'B', 'a higher but unbootable slot is skipped'],
    [s(15, 15, 1), s(14, 15, 1), 'A', 'field maxima'],
  ];
  it.each(table)('%o %o → %s (%s)', (a, b, chosen) => {
    expect(selectSlot(rec(a, b))).toBe(chosen);
  });

  it('agrees with the rule on every one of the 262,144 two-slot states', () => {
    let checked = 0;
    for (const a of allStates) {
      for (const b of allStates) {
        const record = rec(a, b);
        const bootable = (['A', 'B'] as const).filter((slot) => record[slot].priority > 0 && (record[slot].tries > 0 || record[slot].successful));
        const expected = bootable.length === 0 ? undefined : bootable.length === 1 ? bootable[0] : b.priority > a.priority ? 'B' : 'A';
        const chosen = selectSlot(record);
        if (chosen !== expected) throw new Error(`A=${JSON.stringify(a)} B=${JSON.stringify(b)}: chose ${chosen}, expected ${expected}`);
        if (chosen === undefined) {
          expect(() => decideBoot(record)).toThrow(BootRecordError);
        } else {
          const decision = decideBoot(record);
          const before = record[chosen];
          const other: SlotName = chosen === 'A' ? 'B' : 'A';
          // tries are decremented before the boot, only on the chosen slot, only when above 0
          if (decision.record[chosen].tries !== Math.max(0, before.tries - 1) || decision.trial !== before.tries > 0) throw new Error(`bad decrement for ${JSON.stringify(record)}`);
          if (decision.record[other] !== record[other] || decision.record[chosen].priority !== before.priority || decision.record[chosen].successful !== before.successful) {
            throw new Error(`decideBoot changed more than tries for ${JSON.stringify(record)}`);
          }
        }
        checked++;
      }
    }
    expect(checked).toBe(512 * 512);
    expect(allStates.filter(isBootable)).toHaveLength(15 * (15 + 16));
  });
});

describe('cgpt prioritize', () => {
  const table: [BootRecord, SlotName, [number, number], string][] = [
    [rec(s(1, 0, 1), s(0, 0, 0)), 'B', [1, 2], 'the slot goes on top, the other one group below'],
    [rec(s(1, 0, 1), s(1, 0, 1)), 'B', [1, 2], 'two equal groups become new top 2, the rest 1'],
    [rec(s(5, 0, 1), s(2, 0, 1)), 'B', [1, 2], 'renumbered from the number of groups'],
    [rec(s(2, 0, 1), s(1, 0, 1)), 'A', [2, 1], 'already on top stays on top'],
    [rec(s(3, 0, 0), s(0, 0, 0)), 'A', [1, 0], 'a slot at 0 stays 0; one group means top priority 1'],
    [rec(s(0, 0, 0), s(7, 0, 1)), 'A', [2, 1], 'a slot at 0 can be prioritized'],
  ];
  it.each(table)('%o prioritize %s → priorities %o (%s)', (record, slot, [a, b]) => {
    const next = prioritize(record, slot);
    expect([next.A.priority, next.B.priority]).toEqual([a, b]);
  });
});

describe('an update’s life (research notes §3.4)', () => {
  it('installs into B, boots it once on trial, and falls back to A when it is never marked good', () => {
    let record = initialBootRecord();
    expect(decideBoot(record)).toMatchObject({ slot: 'A', trial: false });
    record = markUpdated(record, 'B');
    expect(record).toEqual(rec(s(1, 0, 1), s(2, 1, 0)));
    const first = decideBoot(record);
    expect(first).toMatchObject({ slot: 'B', trial: true });
    expect(first.record.B).toEqual(s(2, 0, 0));
    // crashed before 45 s healthy: the next boot goes back to A, and keeps going there
    const second = decideBoot(first.record);
    expect(second).toMatchObject({ slot: 'A', trial: false });
    expect(decideBoot(second.record).slot).toBe('A');
  });

  it('keeps booting B once it is marked good, and the next update goes to A', () => {
    let record = markUpdated(initialBootRecord(), 'B');
    record = decideBoot(record).record;
    record = markGood(record, 'B');
    expect(record).toEqual(rec(s(1, 0, 1), s(2, 0, 1)));
    for (let i = 0; i < 3; i++) {
      const decision = decideBoot(record);
      expect(decision.slot).toBe('B');
      record = decision.record;
    }
    record = markUpdated(record, 'A');
    expect(record).toEqual(rec(s(2, 1, 0), s(1, 0, 1)));
    expect(decideBoot(record).slot).toBe('A');
  });

  it('rolls back by hand only to a slot that can boot', () => {
    const record = markGood(markUpdated(initialBootRecord(), 'B'), 'B');
    expect(selectSlot(rollbackTo(record, 'A'))).toBe('A');
    expect(() => rollbackTo(decideBoot(markUpdated(record, 'A')).record, 'A')).toThrow('no tries left');
  });
});
