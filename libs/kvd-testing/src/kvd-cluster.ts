import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { KvdMember, type KvdMemberOptions } from './kvd-member.js';

export interface KvdClusterOptions extends KvdMemberOptions {
  /** MINICORE_LOG_LEVEL of every kvd; unset, they inherit the test's environment. */
  logLevel?: string;
  /** Where the cluster's throw-away folder is made (default: the OS temp folder; /dev/shm makes fsync cheap). */
  dataRoot?: string;
  /** How long `start()` waits for each member to be healthy, and then for a write (default 20 s). */
  timeoutMs?: number;
  /**
   * Also wait until the cluster commits a write (it has a leader and applies entries), not only until
   * every member answers /health: for tests whose first request is a write that must not fail.
   */
  waitWritable?: boolean;
}

/** A hidden key (etcd leaves `_`-keys out of listings): the write that proves the cluster takes writes. */
const READY_KEY = '/_kvd_testing_ready';

/** N kvd members on 127.0.0.1 with their own ports and data folders, removed by `destroy()`. */
export class KvdCluster {
  private readonly extras: KvdMember[] = [];

  private constructor(
    readonly members: KvdMember[],
    private readonly root: string,
    private readonly options: KvdClusterOptions & { token: string },
  ) {}

  private timingArgs(): string[] {
    return [
      '--heartbeat-interval', String(this.options.heartbeatInterval ?? 50),
      '--election-timeout', String(this.options.electionTimeout ?? 500),
      '--snapshot-count', String(this.options.snapshotCount ?? 10_000),
    ];
  }

  private get env(): NodeJS.ProcessEnv {
    return environment(this.options);
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
    ], this.env);
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
    ], this.env);
    this.extras.push(proxy);
    proxy.start();
    await proxy.waitHealthy();
    return proxy;
  }

  static async start(size: number, options: KvdClusterOptions = {}): Promise<KvdCluster> {
    const root = await mkdtemp(path.join(options.dataRoot ?? tmpdir(), 'kvd-cluster-'));
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
        ], environment(options)),
    );
    const cluster = new KvdCluster(members, root, { ...options, token });
    for (const member of members) member.start();
    try {
      await Promise.all(members.map((member) => member.waitHealthy(options.timeoutMs)));
      if (options.waitWritable) await cluster.waitWritable(options.timeoutMs);
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  get endpoints(): string[] {
    return this.members.map((member) => member.clientUrl);
  }

  /** The endpoints as one comma-separated flag value (`--kv-endpoints`). */
  get endpointList(): string {
    return this.endpoints.join(',');
  }

  /** Everything the members have logged since they (re)started. */
  get output(): string {
    return [...this.members, ...this.extras].map((member) => `--- ${member.name}\n${member.output}`).join('\n');
  }

  /** Waits until a write through the first running member commits. */
  async waitWritable(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const down = this.members.find((member) => !member.running);
      if (down) throw new Error(`${down.name} exited:\n${down.output.slice(-3000)}`);
      const ok = await fetch(`${this.members[0]!.clientUrl}/v2/keys${READY_KEY}`, {
        method: 'PUT',
        body: new URLSearchParams({ value: '1' }),
        signal: AbortSignal.timeout(1000),
      }).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`kvd cluster takes no writes after ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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

function environment(options: KvdClusterOptions): NodeJS.ProcessEnv {
  return options.logLevel === undefined ? process.env : { ...process.env, MINICORE_LOG_LEVEL: options.logLevel };
}
