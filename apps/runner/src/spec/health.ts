import { SpecError } from './spec-error.js';

/** A health check as runctl's `--health-*` flags give it; durations in milliseconds. */
export interface HealthSpec {
  /** Run with the container's /bin/sh (`CMD-SHELL`); exit 0 is healthy. */
  command: string;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration as docker's flags take it (Go syntax, whole or fractional units): 200ms, 5s, 1m30s. */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (trimmed === '' || parts.map((part) => part[0]).join('') !== trimmed) throw new SpecError(`invalid ${flag} "${text}": expected a duration such as 500ms, 5s or 1m30s`);
  return Math.round(parts.reduce((total, part) => total + Number(part[1]) * (units[part[2]!] ?? 1), 0));
}

export interface HealthFlags {
  healthCmd?: string | undefined;
  healthInterval?: string | undefined;
  healthTimeout?: string | undefined;
  healthRetries?: string | undefined;
  healthStartPeriod?: string | undefined;
}

/** The engine's own defaults are 30 s interval, 30 s timeout, 3 retries; runctl keeps them. */
export function parseHealthFlags(flags: HealthFlags): HealthSpec | undefined {
  const others = [flags.healthInterval, flags.healthTimeout, flags.healthRetries, flags.healthStartPeriod];
  if (flags.healthCmd === undefined) {
    if (others.some((value) => value !== undefined)) throw new SpecError('--health-interval, --health-timeout, --health-retries and --health-start-period need --health-cmd');
    return undefined;
  }
  if (flags.healthCmd.trim() === '') throw new SpecError('invalid --health-cmd "": give a shell command that exits 0 when the container is healthy');
  const retries = flags.healthRetries === undefined ? 3 : /^\d+$/.test(flags.healthRetries) ? Number(flags.healthRetries) : NaN;
  if (!(retries >= 1)) throw new SpecError(`invalid --health-retries "${flags.healthRetries}": expected a whole number from 1`);
  const spec: HealthSpec = {
    command: flags.healthCmd,
    intervalMs: flags.healthInterval === undefined ? 30_000 : parseDuration(flags.healthInterval, '--health-interval'),
    timeoutMs: flags.healthTimeout === undefined ? 30_000 : parseDuration(flags.healthTimeout, '--health-timeout'),
    retries,
    startPeriodMs: flags.healthStartPeriod === undefined ? 0 : parseDuration(flags.healthStartPeriod, '--health-start-period'),
  };
  // The engine refuses checks more often than every millisecond (and 0 would mean "inherit").
  for (const [flag, value] of [['--health-interval', spec.intervalMs], ['--health-timeout', spec.timeoutMs]] as const) {
    if (value < 1) throw new SpecError(`invalid ${flag}: must be at least 1ms`);
  }
  return spec;
}
