import { spawn } from 'node:child_process';
import { signalExitCode } from './context.js';

export interface ChildOutcome {
  /** The exit code to pass on: the child's, or 128+N when a signal ended it. */
  exitCode: number;
}

export interface RunningChild {
  readonly done: Promise<ChildOutcome>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts CMD ARGS with our stdio and extra environment; `done` resolves when it ends (or fails to start: 127). */
export function startChild(command: string, args: readonly string[], env: Record<string, string> = {}): RunningChild {
  const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  const done = new Promise<ChildOutcome>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      process.stderr.write(`kvctl: cannot run ${command}: ${error.code ?? error.message}\n`);
      resolve({ exitCode: 127 });
    });
    child.once('exit', (code, signal) => resolve({ exitCode: code ?? (signal ? signalExitCode(signal) : 1) }));
  });
  return {
    done,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
