import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The built kvd (apps/kv is an implicit dependency, so Nx builds it before these tests). */
export const KVD_MAIN = path.resolve(import.meta.dirname, '../../../kv/dist/kvd/main.js');

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** 1–3 real kvd members on 127.0.0.1 with their own data folders; `stop()` kills exactly them and removes the folders. */
export class KvdTestCluster {
  private constructor(
    readonly endpoints: string[],
    private readonly children: ChildProcess[],
    private readonly root: string,
    private readonly output: () => string,
  ) {}

  get endpointList(): string {
    return this.endpoints.join(',');
  }

  static async start(size = 1, timeoutMs = 30_000): Promise<KvdTestCluster> {
    const root = await mkdtemp(path.join(tmpdir(), 'updater-kvd-'));
    const token = `updater-${path.basename(root)}`;
    const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
    const specs = Array.from({ length: size }, (_, i) => ({ name: `m${i + 1}`, client: `http://127.0.0.1:${ports[2 * i]}`, peer: `http://127.0.0.1:${ports[2 * i + 1]}` }));
    const initialCluster = specs.map((s) => `${s.name}=${s.peer}`).join(',');
    let output = '';
    const children = specs.map((s) => {
      // prettier-ignore
      const child = spawn(process.execPath, [KVD_MAIN,
        '--name', s.name, '--data-dir', path.join(root, s.name),
        '--listen-client-urls', s.client, '--advertise-client-urls', s.client,
        '--listen-peer-urls', s.peer, '--initial-advertise-peer-urls', s.peer,
        '--initial-cluster', initialCluster, '--initial-cluster-token', token,
        '--heartbeat-interval', '50', '--election-timeout', '500',
      ], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      return child;
    });
    const cluster = new KvdTestCluster(
      specs.map((s) => s.client),
      children,
      root,
      () => output,
    );
    try {
      const deadline = Date.now() + timeoutMs;
      // Healthy members and a committed write: the cluster has a leader and answers v2 keys.
      for (;;) {
        if (children.some((c) => c.exitCode !== null)) throw new Error(`a kvd member exited:\n${output.slice(-3000)}`);
        const ok = await fetch(`${specs[0]!.client}/v2/keys/_updater_test_ready`, { method: 'PUT', body: new URLSearchParams({ value: '1' }), signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`kvd not ready after ${timeoutMs} ms:\n${output.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get log(): string {
    return this.output();
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await rm(this.root, { recursive: true, force: true });
  }
}
