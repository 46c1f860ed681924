import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync, readFileSync } from 'node:fs';

/**
 * Every process the benchmark starts, so that Ctrl-C, an error or a plain exit never leaves an
 * etcd, kvd or wrk behind: `killAllNow` runs from process 'exit' too, where only sync work is possible.
 */
export class ProcessRegistry {
  private readonly running = new Set<ChildProcess>();

  /** Starts `command` with stdout and stderr going to `logFile` (a file, not a pipe: a chatty daemon never blocks on us). */
  spawnLogged(command: string, args: readonly string[], logFile: string, options: SpawnOptions = {}): ManagedProcess {
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn(command, [...args], { ...options, stdio: ['ignore', fd, fd] });
      return this.track(child, logFile);
    } finally {
      closeSync(fd);
    }
  }

  /** Starts `command` with stdout and stderr captured in memory (for wrk's short report). */
  spawnCaptured(command: string, args: readonly string[]): { process: ManagedProcess; output: Promise<string> } {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
    const managed = this.track(child, undefined);
    const output = managed.exited.then(() => Buffer.concat(chunks).toString('utf8'));
    return { process: managed, output };
  }

  private track(child: ChildProcess, logFile: string | undefined): ManagedProcess {
    this.running.add(child);
    const managed = new ManagedProcess(child, logFile);
    void managed.exited.then(() => this.running.delete(child));
    return managed;
  }

  killAllNow(): void {
    for (const child of this.running) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    this.running.clear();
  }
}

export class ManagedProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private done = false;

  constructor(
    readonly child: ChildProcess,
    readonly logFile: string | undefined,
  ) {
    this.exited = Promise.race([
      once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null })),
      once(child, 'error').then(([error]) => {
        throw error;
      }),
    ]).finally(() => (this.done = true));
    // a spawn error is reported through `exited`; keep it from being an unhandled rejection meanwhile
    this.exited.catch(() => undefined);
  }

  get hasExited(): boolean {
    return this.done;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.done) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited.catch(() => undefined);
    clearTimeout(timer);
  }

  /** The last lines of its log, for error messages. */
  logTail(lines = 15): string {
    if (!this.logFile) return '';
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
