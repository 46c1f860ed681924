import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerEngine } from '@minicore/docker-engine';
import { DOCKER_SOCKET } from './engine.js';

const appDir = path.resolve(import.meta.dirname, '../..');
const runnerdBin = path.join(appDir, 'bin/runnerd.js');
const runctlBin = path.join(appDir, 'bin/runctl.js');

/** Polls `check` until it returns a value other than undefined/false, or fails naming `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}

export interface RunctlOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A runnerd process from the built dist (plain node: catches ESM/CJS import mistakes), with its own machine id and data dir. */
export class RunnerdProcess {
  url = '';
  #child: ChildProcess | undefined;
  #log = '';

  constructor(
    readonly machineId: string,
    readonly dataDir: string,
    readonly extraArgs: string[] = [],
  ) {}

  async start(): Promise<void> {
    // A port of its own on the bridge for the containers' kv (tests run several runnerds at once).
    const containerKv = this.extraArgs.includes('--container-kv-listen') ? [] : ['--container-kv-listen', 'bridge:0'];
    const child = spawn(process.execPath, [runnerdBin, '--listen', '127.0.0.1:0', '--machine-id', this.machineId, '--data-dir', this.dataDir, '--docker-socket', DOCKER_SOCKET, '--restart-backoff', '200ms', ...containerKv, ...this.extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MINICORE_LOG_LEVEL: 'info' },
    });
    this.#child = child;
    child.stdout.on('data', (chunk: Buffer) => (this.#log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.#log += chunk.toString()));
    this.url = await waitFor(`runnerd ${this.machineId} to listen`, () => {
      if (child.exitCode !== null) throw new Error(`runnerd exited ${child.exitCode}: ${this.#log}`);
      return /"url":"(http:\/\/[^"]+)"/.exec(this.#log)?.[1];
    });
  }

  get log(): string {
    return this.#log;
  }

  /** SIGTERM and wait for the exit (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** kill -9: no clean shutdown (its announcements are left to expire). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts runctl against this runnerd; `run()` waits for it, bounded. */
  spawnRunctl(args: string[]): ChildProcess & { outcome: Promise<RunctlOutcome> } {
    const child = spawn(process.execPath, [runctlBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUNCTL_ENDPOINT: this.url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const outcome = new Promise<RunctlOutcome>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
    return Object.assign(child, { outcome, get stdoutSoFar() { return stdout; } });
  }

  async runctl(args: string[], timeoutMs = 30_000): Promise<RunctlOutcome> {
    const child = this.spawnRunctl(args);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const outcome = await child.outcome;
    clearTimeout(timer);
    return outcome;
  }
}

/** One test file's world: a unique machine id (so its label filter sees only its containers), a data dir, cleanup. */
export class RunnerWorld {
  readonly machineId = `test-${randomBytes(4).toString('hex')}`;
  readonly engine = new DockerEngine({ socketPath: DOCKER_SOCKET });
  dataDir = '';
  readonly #daemons: RunnerdProcess[] = [];
  readonly foreignContainers: string[] = [];

  async setup(): Promise<void> {
    this.dataDir = await mkdtemp(path.join(tmpdir(), 'runnerd-test-'));
  }

  async runnerd(extraArgs: string[] = []): Promise<RunnerdProcess> {
    const daemon = new RunnerdProcess(this.machineId, this.dataDir, extraArgs);
    this.#daemons.push(daemon);
    await daemon.start();
    return daemon;
  }

  /** A unique container name for this world. */
  name(what: string): string {
    return `${this.machineId}-${what}`;
  }

  async teardown(): Promise<void> {
    await Promise.all(this.#daemons.map((daemon) => daemon.stop()));
    const ours = await this.engine.listContainers([`io.minicore.runner.machine=${this.machineId}`], true).catch(() => []);
    await Promise.all([...ours.map((c) => c.Id), ...this.foreignContainers].map((id) => this.engine.removeContainer(id, { force: true }).catch(() => undefined)));
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}
