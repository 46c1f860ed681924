import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights.js';
import { Progress } from './progress.js';

describe('Inflights', () => {
  it('bounds the window and frees acknowledged appends', () => {
    const w = new Inflights(3);
    w.add(5);
    w.add(7);
    w.add(9);
    expect(w.full()).toBe(true);
    expect(() => w.add(10)).toThrow();
    w.freeLE(7);
    expect(w.count()).toBe(1);
    w.freeFirstOne();
    expect(w.count()).toBe(0);
  });
});

describe('Progress', () => {
  it('probe state sends one append at a time and backs off with the hint', () => {
    const pr = new Progress(11, 4);
    expect(pr.isPaused()).toBe(false);
    pr.probeSent = true;
    expect(pr.isPaused()).toBe(true);
    // A stale rejection (not of the append we are waiting for) is ignored.
    expect(pr.maybeDecrTo(5, 2)).toBe(false);
    expect(pr.maybeDecrTo(10, 3)).toBe(true);
    expect([pr.next, pr.isPaused()]).toEqual([4, false]);
  });

  it('replicate state sends optimistically and falls back to match + 1 on rejection', () => {
    const pr = new Progress(5, 2);
    pr.maybeUpdate(4);
    pr.becomeReplicate();
    pr.optimisticUpdate(8);
    pr.inflights.add(8);
    expect(pr.next).toBe(9);
    expect(pr.maybeDecrTo(3, 0)).toBe(false);
    expect(pr.maybeDecrTo(8, 6)).toBe(true);
    expect(pr.next).toBe(5);
  });

  it('after a snapshot, probes right after the snapshot index', () => {
    const pr = new Progress(3, 2);
    pr.becomeSnapshot(20);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect([pr.state, pr.next]).toEqual(['probe', 21]);
  });
});
