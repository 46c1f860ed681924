import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { KVD_MAIN } from './kvd-main.js';

export interface KvdMemberOptions {
  heartbeatInterval?: number;
  electionTimeout?: number;
  snapshotCount?: number;
}

/** One kvd process of a test cluster; it can be killed, paused and restarted with its data. */
export class KvdMember {
  private child: ChildProcess | undefined;
  output = '';

  constructor(
    readonly name: string,
    readonly clientUrl: string,
    readonly peerUrl: string,
    readonly dataDir: string,
    private readonly args: string[],
    /** The process environment (e.g. MINICORE_LOG_LEVEL); the test's own by default. */
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  start(extraArgs: string[] = []): void {
    this.output = '';
    const child = spawn(process.execPath, [KVD_MAIN, ...this.args, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], env: this.env });
    child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child = child;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Sends a signal and, unless it only pauses or resumes, waits for the exit. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    if (signal !== 'SIGSTOP' && signal !== 'SIGCONT') await exited;
  }

  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** Graceful stop (SIGTERM): the exit code, 0 when it shut down cleanly. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running) return child?.exitCode ?? null;
    const exited = once(child, 'exit') as Promise<[number | null]>;
    child.kill('SIGTERM');
    const [code] = await exited;
    return code;
  }

  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited:\n${this.output}`);
      try {
        const response = await fetch(`${this.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
        if (response.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${this.name} not healthy after ${timeoutMs} ms:\n${this.output.slice(-4000)}`);
  }

  /** This member's view: its role ('StateLeader', ...) and the leader's id. */
  async self(): Promise<{ id: string; state: string; leaderInfo: { leader: string } }> {
    const response = await fetch(`${this.clientUrl}/v2/stats/self`, { signal: AbortSignal.timeout(1000) });
    return (await response.json()) as { id: string; state: string; leaderInfo: { leader: string } };
  }
}
