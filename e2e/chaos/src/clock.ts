/** The run's clock: ms since the clients started (monotonic), shared by the history, the watchers and the fault log. */
let origin = performance.now();

export function startClock(): void {
  origin = performance.now();
}

export function now(): number {
  return performance.now() - origin;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
