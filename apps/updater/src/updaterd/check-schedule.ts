/** update_engine's cap on the backed-off check interval. */
export const MAX_BACKOFF_MS = 4 * 60 * 60_000;

/**
 * update_engine's scheduler after a check: the server answering 500 or 503 (reported as 2500 /
 * 2503) doubles the interval for each such answer in a row, up to 4 h; anything else resets it.
 * Returns the next interval (before the fuzz) and the new count of server errors in a row.
 */
export function nextCheckInterval(baseMs: number, serverErrorsInARow: number, lastErrorCode: number, failed: boolean): { intervalMs: number; serverErrorsInARow: number } {
  const serverError = failed && (lastErrorCode === 2500 || lastErrorCode === 2503);
  if (!serverError) return { intervalMs: baseMs, serverErrorsInARow: 0 };
  const count = serverErrorsInARow + 1;
  return { intervalMs: Math.min(MAX_BACKOFF_MS, baseMs * 2 ** count), serverErrorsInARow: count };
}
