import { describe, expect, it } from 'vitest';
import { runSeed } from './simulation/run.js';

/**
 * Randomized, deterministic whole-cluster runs. RAFT_SIM_SEEDS sets how many seeds to run
 * (RAFT_SIM_FIRST_SEED where to start); RAFT_SIM_SEED replays exactly one.
 */
const DEFAULT_SEEDS = 8000;
const BATCH = 100;

function reproduction(seed: number): string {
  return `RAFT_SIM_SEED=${seed} npx vitest run libs/raft/test/simulation.test.ts   (from the repository root)`;
}

function runOrExplain(seed: number): void {
  try {
    runSeed(seed);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`seed ${seed} failed: ${message}\nreproduce with: ${reproduction(seed)}`, { cause: err });
  }
}

const single = process.env['RAFT_SIM_SEED'];

describe('raft simulation', () => {
  if (single !== undefined && single !== '') {
    it(`seed ${single}`, () => {
      const result = runSeed(Number(single));
      console.log(JSON.stringify(result));
      expect(result.commit).toBeGreaterThan(0);
    });
    return;
  }
  const count = Number(process.env['RAFT_SIM_SEEDS'] ?? DEFAULT_SEEDS);
  const first = Number(process.env['RAFT_SIM_FIRST_SEED'] ?? 1);
  for (let lo = first; lo < first + count; lo += BATCH) {
    const hi = Math.min(lo + BATCH, first + count) - 1;
    it(`seeds ${lo}..${hi} (3 and 5 nodes)`, { timeout: 120_000 }, () => {
      for (let seed = lo; seed <= hi; seed++) runOrExplain(seed);
    });
  }
});
