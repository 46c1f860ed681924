import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

/** Debian's etcd-server package puts etcd 3.4 here (tools/ci/apt-install.sh etcd-server). */
export const ETCD_BINARY = '/usr/bin/etcd';

/** Whether a real etcd is installed (tests comparing against it skip with this reason when not). */
export const etcdInstalled = existsSync(ETCD_BINARY);

export interface EtcdClusterOptions {
  /** How long `start()` waits for the cluster to take a write (default 30 s). */
  timeoutMs?: number;
  /** Raft timing, as for KvdCluster (defaults: 50 ms heartbeat, 500 ms election timeout). */
  heartbeatInterval?: number;
  electionTimeout?: number;
}

/** One etcd process of a test cluster. */
export class EtcdMember {
  #child: ChildProcess | undefined;
  output = '';

  constructor(
    readonly name: string,
    readonly clientUrl: string,
    readonly peerUrl: string,
    private readonly args: string[],
  ) {}

  start(): void {
    this.output = '';
    const child = spawn(ETCD_BINARY, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.#child = child;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * N real etcd 3.4 members (`--enable-v2`, etcd's v2 keys API that kvd implements) on 127.0.0.1
 * with their own ports and data folders, removed by `destroy()`: so the same tests can run against
 * kvd and against the etcd a user may point Minicore at instead.
 */
export class EtcdCluster {
  private constructor(
    readonly members: EtcdMember[],
    private readonly root: string,
  ) {}

  static async start(size: number, options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    if (!etcdInstalled) throw new Error(`${ETCD_BINARY} is missing: bash tools/ci/apt-install.sh etcd-server`);
    const root = await mkdtemp(path.join(tmpdir(), 'etcd-cluster-'));
    const specs = [];
    for (let i = 0; i < size; i += 1) specs.push({ name: `e${i + 1}`, clientUrl: `http://127.0.0.1:${await freePort()}`, peerUrl: `http://127.0.0.1:${await freePort()}` });
    const initialCluster = specs.map((spec) => `${spec.name}=${spec.peerUrl}`).join(',');
    const members = specs.map(
      (spec) =>
        new EtcdMember(spec.name, spec.clientUrl, spec.peerUrl, [
          '--name', spec.name,
          '--data-dir', path.join(root, spec.name),
          '--listen-client-urls', spec.clientUrl,
          '--advertise-client-urls', spec.clientUrl,
          '--listen-peer-urls', spec.peerUrl,
          '--initial-advertise-peer-urls', spec.peerUrl,
          '--initial-cluster', initialCluster,
          '--initial-cluster-token', `test-${path.basename(root)}`,
          '--initial-cluster-state', 'new',
          '--heartbeat-interval', String(options.heartbeatInterval ?? 50),
          '--election-timeout', String(options.electionTimeout ?? 500),
          '--enable-v2',
          '--logger', 'zap',
          '--log-level', 'warn',
        ]),
    );
    const cluster = new EtcdCluster(members, root);
    for (const member of members) member.start();
    try {
      await cluster.waitWritable(options.timeoutMs ?? 30_000);
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  get endpoints(): string[] {
    return this.members.map((member) => member.clientUrl);
  }

  get endpointList(): string {
    return this.endpoints.join(',');
  }

  get output(): string {
    return this.members.map((member) => `--- ${member.name}\n${member.output}`).join('\n');
  }

  /** Waits until a v2 write through every member commits (etcd 3.4 with --enable-v2 is then serving the v2 API). */
  async waitWritable(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const member of this.members) {
      for (;;) {
        if (!member.running) throw new Error(`${member.name} exited:\n${member.output.slice(-3000)}`);
        const ok = await fetch(`${member.clientUrl}/v2/keys/_etcd_testing_ready`, { method: 'PUT', body: new URLSearchParams({ value: '1' }), signal: AbortSignal.timeout(1000) }).then(
          (response) => response.ok,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`etcd cluster takes no writes after ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.members.map((member) => member.kill()));
    await rm(this.root, { recursive: true, force: true });
  }
}
