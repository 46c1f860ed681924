import type { RestartPolicy } from '../spec/index.js';

/**
 * When and how soon runnerd restarts a container, as pure functions. The rules follow docker's:
 * `on-failure[:N]` restarts after a non-zero exit, at most N times; `always` and `unless-stopped`
 * restart after any exit; nothing restarts a container stopped through runctl, except that
 * `always` brings such a container back when runnerd itself restarts (docker does the same when
 * its daemon restarts; that is the one difference between `always` and `unless-stopped`).
 */
export interface BackoffOptions {
  /** Delay before the first restart (ms); each further one doubles it. */
  baseMs: number;
  /** The delay never exceeds this (ms). */
  maxMs: number;
  /** A container that ran at least this long (ms) before dying starts again from baseMs. */
  resetAfterMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 100, maxMs: 30_000, resetAfterMs: 10_000 };

export interface ExitFacts {
  exitCode: number;
  stoppedByUser: boolean;
  /** Restarts already made since the container was created or last started by hand. */
  restarts: number;
}

export function shouldRestart(policy: RestartPolicy, exit: ExitFacts): boolean {
  if (exit.stoppedByUser) return false;
  switch (policy.name) {
    case 'no':
      return false;
    case 'on-failure':
      return exit.exitCode !== 0 && (policy.maxRetries === 0 || exit.restarts < policy.maxRetries);
    case 'always':
    case 'unless-stopped':
      return true;
  }
}

/** At runnerd start: should a container found not running be started again? */
export function shouldStartOnAdoption(policy: RestartPolicy, exit: ExitFacts & { everStarted: boolean }): boolean {
  if (!exit.everStarted) return false;
  if (policy.name === 'always') return true;
  return shouldRestart(policy, exit);
}

/** The delay before restart number `attempt` (0-based): base, 2×base, 4×base, … capped at max. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  return Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
}

/** The attempt number for the next restart: back to 0 after a run long enough to count as healthy. */
export function nextAttempt(previousAttempt: number, ranForMs: number | undefined, options: BackoffOptions): number {
  return ranForMs !== undefined && ranForMs >= options.resetAfterMs ? 0 : previousAttempt;
}
