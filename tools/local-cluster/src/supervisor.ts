import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { formatLogLine } from './log-lines.js';
import type { DaemonPlan } from './plan.js';

/** A daemon process of the local cluster, its output prefixed with `machine daemon`. */
export class RunningDaemon {
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(
    readonly machine: string,
    readonly plan: DaemonPlan,
    write: (line: string) => void,
  ) {
    const [command = process.execPath, ...args] = [...(plan.prefix ?? []), process.execPath, plan.script, ...plan.args];
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const prefix = `${machine} ${plan.name}`.padEnd(14);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => write(formatLogLine(prefix, line)));
    }
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
  }

  /**
   * Polls the daemon's /health until it answers 200, or fails after `timeoutMs`; a daemon without a
   * health URL counts as up when it is still running after a second.
   */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    const healthUrl = this.plan.healthUrl;
    if (healthUrl === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (exited) throw new Error(`${this.machine} ${this.plan.name} exited`);
      return;
    }
    while (Date.now() < deadline && !exited) {
      try {
        const response = await fetch(healthUrl, { signal: AbortSignal.timeout(1000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${this.machine} ${this.plan.name} ${exited ? 'exited' : `was not healthy within ${timeoutMs / 1000} s`} (${healthUrl})`);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
