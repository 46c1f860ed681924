import type { RecordedOperation } from './history.js';

/** A full-disk fault as the runner saw it: the machine, when its disk was full, and what kvd did. */
export interface DiskFullWindow {
  machine: string;
  /** ms since the run started: the last byte of filler written (start) and the filler deleted (end). */
  startMs: number;
  endMs: number;
  /** kvd's restarts on the machine while the disk was full (systemd's NRestarts difference). */
  restarts?: number;
  /** ms from the filler's deletion until the machine's kvd answered /health as healthy; undefined: not within the wait. */
  recoveredAfterMs?: number;
}

/**
 * One line on what the clients saw through the full machine: the register operations sent to it
 * while its disk was full, by outcome, with the most common reasons of those not answered `ok`.
 * Figures only: the checkers judge the same operations (an acknowledged change must be persisted
 * by a majority, which the full member is not needed for).
 */
export function describeDiskFull(window: DiskFullWindow, operations: readonly RecordedOperation[]): string {
  const during = operations.filter((op) => op.machine === window.machine && op.call >= window.startMs && op.call < window.endMs);
  const counts = new Map<string, number>();
  const reasons = new Map<string, number>();
  for (const op of during) {
    const kind = `${op.input.op === 'read' ? 'read' : 'change'} ${op.outcome}`;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    if (op.outcome !== 'ok' && op.reason) reasons.set(op.reason, (reasons.get(op.reason) ?? 0) + 1);
  }
  const outcomes = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${n} ${kind}`).join(', ') || 'no operations';
  const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([reason, n]) => `${n}× ${reason.slice(0, 80)}`);
  const restarts = window.restarts === undefined ? 'kvd restarts unknown' : `kvd restarted ${window.restarts} time${window.restarts === 1 ? '' : 's'}`;
  const recovered = window.recoveredAfterMs === undefined ? 'not healthy again within the wait' : `healthy ${(window.recoveredAfterMs / 1000).toFixed(1)} s after the space came back`;
  return `disk full on ${window.machine} for ${((window.endMs - window.startMs) / 1000).toFixed(1)} s: ${restarts}, ${recovered}; through it: ${outcomes}${top.length ? ` (${top.join('; ')})` : ''}`;
}
