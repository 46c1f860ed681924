import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The built kvd: integration tests run the real daemon as separate processes (Nx builds it before `test`). */
export const KVD_MAIN = path.resolve(import.meta.dirname, '../../dist/kvd/main.js');

/** A free TCP port on 127.0.0.1 (bound and released; fine for tests on one machine). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

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
  ) {}

  start(extraArgs: string[] = []): void {
    this.output = '';
    const child = spawn(process.execPath, [KVD_MAIN, ...this.args, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
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

/** N kvd members on 127.0.0.1 with their own ports and data folders, removed by `destroy()`. */
export class KvdCluster {
  private readonly extras: KvdMember[] = [];

  private constructor(
    readonly members: KvdMember[],
    private readonly root: string,
    private readonly options: KvdMemberOptions & { token: string },
  ) {}

  private timingArgs(): string[] {
    return [
      '--heartbeat-interval', String(this.options.heartbeatInterval ?? 50),
      '--election-timeout', String(this.options.electionTimeout ?? 500),
      '--snapshot-count', String(this.options.snapshotCount ?? 10_000),
    ];
  }

  private initialCluster(extra: { name: string; peerUrl: string }[] = []): string {
    return [...this.members, ...extra].map((member) => `${member.name}=${member.peerUrl}`).join(',');
  }

  /**
   * Adds a member the way an operator does: announce it with POST /v2/members to the cluster,
   * then start it with --initial-cluster-state existing. It joins `members` once started.
   */
  async join(name: string): Promise<KvdMember> {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const via = this.members.find((member) => member.running)!;
    const added = await fetch(`${via.clientUrl}/v2/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ peerURLs: [peerUrl] }),
    });
    if (added.status !== 201) throw new Error(`member add answered ${added.status}: ${await added.text()}`);
    const member = new KvdMember(name, clientUrl, peerUrl, path.join(this.root, name), [
      '--name', name,
      '--data-dir', path.join(this.root, name),
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', this.initialCluster([{ name, peerUrl }]),
      '--initial-cluster-state', 'existing',
      '--initial-cluster-token', this.options.token,
      ...this.timingArgs(),
    ]);
    this.members.push(member);
    member.start();
    await member.waitHealthy();
    return member;
  }

  /** A kvd in proxy mode (`--proxy on|readonly`) in front of this cluster. */
  async proxy(mode: 'on' | 'readonly' = 'on'): Promise<KvdMember> {
    const clientUrl = `http://127.0.0.1:${await freePort()}`;
    const proxy = new KvdMember(`proxy-${mode}`, clientUrl, '', path.join(this.root, `proxy-${mode}`), [
      '--name', `proxy-${mode}`,
      '--proxy', mode,
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--initial-cluster', this.initialCluster(),
    ]);
    this.extras.push(proxy);
    proxy.start();
    await proxy.waitHealthy();
    return proxy;
  }

  static async start(size: number, options: KvdMemberOptions = {}): Promise<KvdCluster> {
    const root = await mkdtemp(path.join(tmpdir(), 'kvd-cluster-'));
    const token = `test-${path.basename(root)}`;
    const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
    const specs = Array.from({ length: size }, (_, i) => ({
      name: `m${i + 1}`,
      clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
      peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    }));
    const initialCluster = specs.map((spec) => `${spec.name}=${spec.peerUrl}`).join(',');
    const members = specs.map(
      (spec) =>
        new KvdMember(spec.name, spec.clientUrl, spec.peerUrl, path.join(root, spec.name), [
          '--name', spec.name,
          '--data-dir', path.join(root, spec.name),
          '--listen-client-urls', spec.clientUrl,
          '--advertise-client-urls', spec.clientUrl,
          '--listen-peer-urls', spec.peerUrl,
          '--initial-advertise-peer-urls', spec.peerUrl,
          '--initial-cluster', initialCluster,
          '--initial-cluster-token', token,
          '--heartbeat-interval', String(options.heartbeatInterval ?? 50),
          '--election-timeout', String(options.electionTimeout ?? 500),
          '--snapshot-count', String(options.snapshotCount ?? 10_000),
        ]),
    );
    const cluster = new KvdCluster(members, root, { ...options, token });
    for (const member of members) member.start();
    try {
      await Promise.all(members.map((member) => member.waitHealthy()));
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  get endpoints(): string[] {
    return this.members.map((member) => member.clientUrl);
  }

  /** The running member that says it leads, waiting for an election if needed. */
  async leader(timeoutMs = 10_000): Promise<KvdMember> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const member of this.members.filter((m) => m.running)) {
        try {
          if ((await member.self()).state === 'StateLeader') return member;
        } catch {
          // paused or down
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  }

  async destroy(): Promise<void> {
    await Promise.all(
      [...this.members, ...this.extras].map(async (member) => {
        if (!member.running) return;
        await member.signal('SIGCONT');
        await member.kill();
      }),
    );
    await rm(this.root, { recursive: true, force: true });
  }
}
