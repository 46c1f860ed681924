import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '@minicore/kvd-testing';

const SCHEDULERD_MAIN = path.resolve(import.meta.dirname, '../../dist/schedulerd/main.js');

/** The shared poller, with a longer default here: elections, TTL expiry and failover take seconds. */
export function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  return waitFor(what, probe, timeoutMs, everyMs);
}

/** Short timings so TTL expiry and failover fit in a test: agent TTL 2 s, engine lease 2 s. */
export const testTimings = ['--agent-ttl', '2s', '--agent-reconcile-interval', '500ms', '--engine-reconcile-interval', '300ms'];

/** One simulated machine: a schedulerd process on the exec backend (explicit: `auto` would pick a host's systemd, shared by all) with its own data folder and API port. */
export class Machine {
  private child: ChildProcess | undefined;
  output = '';
  port = 0;

  constructor(
    readonly id: string,
    readonly dataDir: string,
    private readonly kvEndpoints: string[],
    private readonly metadata: string,
    private readonly extraArgs: string[] = [],
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    this.output = '';
    const args = [SCHEDULERD_MAIN, '--kv-endpoints', this.kvEndpoints.join(','), '--machine-id', this.id, '--api-listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, '--public-ip', '127.0.0.1', '--unit-backend', 'exec', ...testTimings, ...this.extraArgs];
    if (this.metadata) args.push('--metadata', this.metadata);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MINICORE_LOG_LEVEL: 'info' } });
    child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child = child;
    await waitUntil(`${this.id} API`, async () => {
      if (!this.running) throw new Error(`${this.id} exited:\n${this.output.slice(-3000)}`);
      return (await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) })).ok;
    });
  }

  /** Graceful stop (SIGTERM): units keep running. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  /** The process ids of the unit processes this machine runs (from its pid files). */
  async unitPids(): Promise<Map<string, number>> {
    const pids = new Map<string, number>();
    const root = path.join(this.dataDir, 'units');
    for (const name of await readdir(root).catch(() => [] as string[])) {
      const text = await readFile(path.join(root, name, 'run.json'), 'utf8').catch(() => undefined);
      if (text) pids.set(name, (JSON.parse(text) as { pid: number }).pid);
    }
    return pids;
  }

  /** The machine dies: schedulerd and every unit process get SIGKILL. */
  async crash(): Promise<void> {
    const child = this.child;
    if (child && this.running) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    for (const pid of (await this.unitPids()).values()) killGroup(pid);
  }
}

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** N machines (ids m1..mN) on one kv cluster, each with its own folder under one temp root. */
export class Machines {
  private constructor(
    readonly all: Machine[],
    private readonly root: string,
  ) {}

  static async start(kvEndpoints: string[], metadata: string[], extraArgs: string[] = []): Promise<Machines> {
    const root = await mkdtemp(path.join(tmpdir(), 'schedulerd-'));
    const all = metadata.map((meta, i) => new Machine(`m${i + 1}`, path.join(root, `m${i + 1}`), kvEndpoints, meta, extraArgs));
    const machines = new Machines(all, root);
    try {
      for (const machine of all) await machine.start();
    } catch (error) {
      await machines.destroy();
      throw error;
    }
    return machines;
  }

  byId(id: string): Machine {
    const machine = this.all.find((candidate) => candidate.id === id);
    if (!machine) throw new Error(`no machine ${id}`);
    return machine;
  }

  async destroy(): Promise<void> {
    for (const machine of this.all) await machine.crash();
    await rm(this.root, { recursive: true, force: true });
  }
}
