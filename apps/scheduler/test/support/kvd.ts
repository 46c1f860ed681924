import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The built kvd (Nx builds @minicore/kv before these tests: implicitDependencies). */
const KVD_MAIN = path.resolve(import.meta.dirname, '../../../kv/dist/kvd/main.js');

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

export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}`);
}

/** A real kvd cluster of `size` members on 127.0.0.1, each in its own process and data folder. */
export class KvdCluster {
  private constructor(
    private readonly children: ChildProcess[],
    readonly endpoints: string[],
    private readonly root: string,
    private readonly output: string[],
  ) {}

  static async start(size = 3): Promise<KvdCluster> {
    const root = await mkdtemp(path.join(tmpdir(), 'sched-kvd-'));
    const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
    const names = Array.from({ length: size }, (_, i) => `kv${i + 1}`);
    const initial = names.map((name, i) => `${name}=http://127.0.0.1:${ports[2 * i + 1]}`).join(',');
    const endpoints = names.map((_, i) => `http://127.0.0.1:${ports[2 * i]}`);
    const output = names.map(() => '');
    const children = names.map((name, i) => {
      const child = spawn(
        process.execPath,
        [
          KVD_MAIN,
          '--name', name,
          '--data-dir', path.join(root, name),
          '--listen-client-urls', endpoints[i]!,
          '--advertise-client-urls', endpoints[i]!,
          '--listen-peer-urls', `http://127.0.0.1:${ports[2 * i + 1]}`,
          '--initial-advertise-peer-urls', `http://127.0.0.1:${ports[2 * i + 1]}`,
          '--initial-cluster', initial,
          '--initial-cluster-token', path.basename(root),
          '--heartbeat-interval', '50',
          '--election-timeout', '500',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MINICORE_LOG_LEVEL: 'warn' } },
      );
      child.stdout.on('data', (chunk: Buffer) => (output[i] += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output[i] += chunk.toString()));
      return child;
    });
    const cluster = new KvdCluster(children, endpoints, root, output);
    try {
      await Promise.all(
        endpoints.map((endpoint) =>
          waitUntil(`kvd ${endpoint} healthy`, async () => {
            const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
            return response.ok;
          }, 20_000),
        ),
      );
    } catch (error) {
      await cluster.destroy();
      throw new Error(`${String(error)}\n${output.join('\n').slice(-3000)}`, { cause: error });
    }
    return cluster;
  }

  async destroy(): Promise<void> {
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
