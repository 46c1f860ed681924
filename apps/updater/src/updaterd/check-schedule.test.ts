import { describe, expect, it } from 'vitest';
import { MAX_BACKOFF_MS, nextCheckInterval } from './check-schedule.js';

const MIN = 60_000;

describe('the update check interval', () => {
  it('doubles for each 500/503 in a row, up to 4 h (update_engine), and resets after anything else', () => {
    let state = { intervalMs: 45 * MIN, serverErrorsInARow: 0 };
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      state = nextCheckInterval(45 * MIN, state.serverErrorsInARow, i % 2 ? 2503 : 2500, true);
      seen.push(state.intervalMs / MIN);
    }
    expect(seen).toEqual([90, 180, 240, 240]);
    expect(state.intervalMs).toBe(MAX_BACKOFF_MS);
    expect(nextCheckInterval(45 * MIN, 3, 0, false)).toEqual({ intervalMs: 45 * MIN, serverErrorsInARow: 0 });
  });

  it('keeps the interval for other failures (a 404, a bad payload)', () => {
    expect(nextCheckInterval(45 * MIN, 0, 2404, true)).toEqual({ intervalMs: 45 * MIN, serverErrorsInARow: 0 });
    expect(nextCheckInterval(45 * MIN, 2, 10, true)).toEqual({ intervalMs: 45 * MIN, serverErrorsInARow: 0 });
  });
});
