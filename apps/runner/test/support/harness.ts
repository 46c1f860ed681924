import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerEngine } from '@minicore/docker-engine';
import { DaemonProcess, run, waitFor, type Outcome } from '@minicore/kvd-testing';
import { DOCKER_SOCKET } from './engine.js';

const appDir = path.resolve(import.meta.dirname, '../..');
const runnerdBin = path.join(appDir, 'bin/runnerd.js');
const runctlBin = path.join(appDir, 'bin/runctl.js');

export { waitFor };

export type RunctlOutcome = Outcome;

/** A runnerd process from the built dist (plain node: catches ESM/CJS import mistakes), with its own machine id and data dir. */
export class RunnerdProcess extends DaemonProcess {
  url = '';

  constructor(
    readonly machineId: string,
    readonly dataDir: string,
    readonly extraArgs: string[] = [],
  ) {
    // A port of its own on the bridge for the containers' kv (tests run several runnerds at once).
    const containerKv = extraArgs.includes('--container-kv-listen') ? [] : ['--container-kv-listen', 'bridge:0'];
    super(runnerdBin, ['--listen', '127.0.0.1:0', '--machine-id', machineId, '--data-dir', dataDir, '--docker-socket', DOCKER_SOCKET, '--restart-backoff', '200ms', ...containerKv, ...extraArgs]);
  }

  /** Starts it and waits until it listens (its log names its URL). */
  override async start(listening = /"url":"(http:\/\/[^"]+)"/): Promise<RegExpExecArray> {
    const match = await super.start(listening);
    this.url = match[1]!;
    return match;
  }

  /** Starts runctl against this runnerd (for output while it runs); `runctl()` runs it to the end, bounded. */
  spawnRunctl(args: string[]): ChildProcess & { outcome: Promise<RunctlOutcome> } {
    const child = spawn(process.execPath, [runctlBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUNCTL_ENDPOINT: this.url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const outcome = new Promise<RunctlOutcome>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
    return Object.assign(child, { outcome, get stdoutSoFar() { return stdout; } });
  }

  runctl(args: string[], timeoutMs = 30_000): Promise<RunctlOutcome> {
    return run(runctlBin, args, { RUNCTL_ENDPOINT: this.url }, timeoutMs);
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
