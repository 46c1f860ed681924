/** The run's clock: ms since the clients started (monotonic), shared by the history, the watchers and the fault log. */
let origin = performance.now();
/** Date.now() when the clock started: the machines log wall-clock times (they share the host's clock). */
let wallOrigin = Date.now();

export function startClock(): void {
  origin = performance.now();
  wallOrigin = Date.now();
}

export function now(): number {
  return performance.now() - origin;
}

/** A wall-clock time (epoch ms, e.g. from a machine's log) on the run's clock. */
export function fromWall(epochMs: number): number {
  return epochMs - wallOrigin;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
