// The option values every benchmark's parser reads (whole numbers, durations, lists from a fixed
// set), with one error class, so each benchmark's args file keeps only its own options.

/** A bad command line: the benchmark prints the message and its usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function wholeNumber(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`invalid --${flag} ${text}: expected a whole number`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`invalid --${flag} ${text}: expected ${min}..${max}`);
  return value;
}

/** "10s", "500ms", "1m" or a bare number of seconds, at least `minSeconds`. */
export function durationSeconds(flag: string, text: string, minSeconds = 0): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new UsageError(`invalid --${flag} ${text}: expected e.g. 10s, 500ms or 1m`);
  const value = Number(match[1]);
  const seconds = match[2] === 'ms' ? value / 1000 : match[2] === 'm' ? value * 60 : value;
  if (seconds < minSeconds) throw new UsageError(`invalid --${flag} ${text}: at least ${minSeconds}s`);
  return seconds;
}

/** A comma-separated subset of `allowed`, returned in `allowed`'s order without repeats. */
export function someOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const parts = text.split(',').map((part) => part.trim());
  for (const part of parts) {
    if (!(allowed as readonly string[]).includes(part)) throw new UsageError(`invalid --${flag} ${text}: expected some of ${allowed.join(',')}`);
  }
  return allowed.filter((value) => parts.includes(value));
}
