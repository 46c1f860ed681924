import { expandSpecifiers, optionValues, lastValue, type UnitOption } from '@minicore/unit-file';

export type RestartPolicy = 'no' | 'always' | 'on-success' | 'on-failure' | 'on-abnormal' | 'on-abort';
const policies: readonly RestartPolicy[] = ['no', 'always', 'on-success', 'on-failure', 'on-abnormal', 'on-abort'];

/** How one run of a unit's process ended. */
export type RunOutcome = { kind: 'exited'; code: number } | { kind: 'signal'; signal: string } | { kind: 'unknown' };

export interface ExecPlan {
  argv: string[];
  /** systemd's `-` prefix: a failing exit status counts as success. */
  ignoreFailure: boolean;
  environment: Record<string, string>;
  workingDirectory: string | undefined;
  restart: RestartPolicy;
  restartSecMs: number;
}

export class ExecPlanError extends Error {
  override name = 'ExecPlanError';
}

/**
 * systemd's command line splitting: words separated by whitespace, "double" and 'single' quotes
 * group, backslash escapes the next character. No shell: pipes and `$VAR` are not interpreted.
 */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote) throw new ExecPlanError(`unbalanced ${quote} quote in "${text}"`);
  if (inWord) words.push(current);
  return words;
}

/** `100ms`, `5`, `5s`, `2min`, `1h`: systemd time spans (a bare number is seconds). */
export function parseTimeSpan(text: string): number {
  let total = 0;
  const units: Record<string, number> = { us: 0.001, ms: 1, '': 1000, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  const parts = text.trim().split(/\s+/);
  for (const part of parts) {
    const match = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part);
    const unit = match ? units[match[2] ?? ''] : undefined;
    if (!match || unit === undefined) throw new ExecPlanError(`"${text}" is not a time span such as 100ms, 5s or 1min`);
    total += Number(match[1]) * unit;
  }
  return Math.round(total);
}

/** What the exec backend runs for a unit: `[Service]` ExecStart, Environment, WorkingDirectory, Restart, RestartSec. */
export function execPlan(options: readonly UnitOption[], name: string): ExecPlan {
  const execStart = lastValue(options, 'Service', 'ExecStart');
  if (execStart === undefined) throw new ExecPlanError(`${name} has no ExecStart= in [Service]`);
  let command = expandSpecifiers(execStart, name, { percent: true });
  let ignoreFailure = false;
  for (let prefix = /^[-@+!:]/.exec(command); prefix; prefix = /^[-@+!:]/.exec(command)) {
    if (prefix[0] === '-') ignoreFailure = true;
    command = command.slice(1);
  }
  const argv = splitCommandLine(command);
  if (argv.length === 0) throw new ExecPlanError(`${name}: ExecStart= names no command`);
  const environment: Record<string, string> = {};
  for (const value of optionValues(options, 'Service', 'Environment')) {
    for (const word of splitCommandLine(value)) {
      const at = word.indexOf('=');
      if (at > 0) environment[word.slice(0, at)] = expandSpecifiers(word.slice(at + 1), name, { percent: true });
    }
  }
  const restartText = lastValue(options, 'Service', 'Restart') ?? 'no';
  const restart = policies.find((policy) => policy === restartText);
  if (!restart) throw new ExecPlanError(`${name}: Restart=${restartText} is not one of ${policies.join(', ')}`);
  const restartSec = lastValue(options, 'Service', 'RestartSec');
  const workingDirectory = lastValue(options, 'Service', 'WorkingDirectory');
  return { argv, ignoreFailure, environment, workingDirectory: workingDirectory === undefined ? undefined : expandSpecifiers(workingDirectory, name, { percent: true }), restart, restartSecMs: restartSec === undefined ? 100 : parseTimeSpan(restartSec) };
}

/** Whether the run counts as a success for systemd (exit 0, or any exit with the `-` prefix; SIGTERM after a stop is handled by the caller). */
export function succeeded(outcome: RunOutcome, plan: Pick<ExecPlan, 'ignoreFailure'>): boolean {
  if (outcome.kind === 'exited') return outcome.code === 0 || plan.ignoreFailure;
  return false;
}

/** systemd's Restart= table for a run that ended on its own (not by a stop). */
export function shouldRestart(policy: RestartPolicy, outcome: RunOutcome, plan: Pick<ExecPlan, 'ignoreFailure'>): boolean {
  const clean = succeeded(outcome, plan);
  switch (policy) {
    case 'no':
      return false;
    case 'always':
      return true;
    case 'on-success':
      return clean;
    case 'on-failure':
      return !clean;
    case 'on-abnormal':
      return outcome.kind !== 'exited';
    case 'on-abort':
      return outcome.kind === 'signal' && !['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE'].includes(outcome.signal);
  }
}

export function describeOutcome(outcome: RunOutcome): string {
  if (outcome.kind === 'exited') return `code=exited, status=${outcome.code}`;
  if (outcome.kind === 'signal') return `code=killed, signal=${outcome.signal}`;
  return 'code=unknown (the process ended while schedulerd was not watching)';
}
