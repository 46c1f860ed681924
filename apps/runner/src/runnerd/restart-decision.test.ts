import { describe, expect, it } from 'vitest';
import { parseRestartPolicy } from '../spec/index.js';
import { backoffDelay, nextAttempt, shouldRestart, shouldStartOnAdoption, type BackoffOptions } from './restart-decision.js';

const facts = (exitCode: number, restarts = 0, stoppedByUser = false) => ({ exitCode, restarts, stoppedByUser });

describe('shouldRestart', () => {
  it('never restarts with policy no', () => {
    expect(shouldRestart(parseRestartPolicy('no'), facts(1))).toBe(false);
  });

  it('restarts on-failure after a non-zero exit only, up to the maximum', () => {
    const policy = parseRestartPolicy('on-failure:2');
    expect(shouldRestart(policy, facts(0))).toBe(false);
    expect(shouldRestart(policy, facts(1, 0))).toBe(true);
    expect(shouldRestart(policy, facts(137, 1))).toBe(true);
    expect(shouldRestart(policy, facts(1, 2))).toBe(false);
    expect(shouldRestart(parseRestartPolicy('on-failure'), facts(1, 1000))).toBe(true);
  });

  it('restarts always and unless-stopped after any exit', () => {
    expect(shouldRestart(parseRestartPolicy('always'), facts(0))).toBe(true);
    expect(shouldRestart(parseRestartPolicy('unless-stopped'), facts(2, 50))).toBe(true);
  });

  it('never restarts a container stopped through runctl', () => {
    for (const text of ['on-failure', 'always', 'unless-stopped']) expect(shouldRestart(parseRestartPolicy(text), facts(143, 0, true))).toBe(false);
  });
});

describe('shouldStartOnAdoption', () => {
  it('brings back always even when stopped by hand, but not unless-stopped', () => {
    expect(shouldStartOnAdoption(parseRestartPolicy('always'), { ...facts(0, 0, true), everStarted: true })).toBe(true);
    expect(shouldStartOnAdoption(parseRestartPolicy('unless-stopped'), { ...facts(0, 0, true), everStarted: true })).toBe(false);
    expect(shouldStartOnAdoption(parseRestartPolicy('unless-stopped'), { ...facts(1), everStarted: true })).toBe(true);
  });

  it('leaves containers that were created but never started', () => {
    expect(shouldStartOnAdoption(parseRestartPolicy('always'), { ...facts(0), everStarted: false })).toBe(false);
  });
});

describe('backoff', () => {
  const options: BackoffOptions = { baseMs: 100, maxMs: 1000, resetAfterMs: 10_000 };

  it('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 60].map((attempt) => backoffDelay(attempt, options))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('starts over after a run long enough to count as healthy', () => {
    expect(nextAttempt(4, 500, options)).toBe(4);
    expect(nextAttempt(4, undefined, options)).toBe(4);
    expect(nextAttempt(4, 10_000, options)).toBe(0);
  });
});
