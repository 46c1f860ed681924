import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KvClient } from '@minicore/kv-client';
import { waitFor } from './harness.js';

/** The built kvd (Nx builds @minicore/kv before runner's tests: an implicit dependency). */
export const KVD_MAIN = path.resolve(import.meta.dirname, '../../../kv/dist/kvd/main.js');
export const kvdBuilt = existsSync(KVD_MAIN);

/** A free TCP port on 127.0.0.1 (bound and released). */
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

/** A real kvd, a single-member cluster on loopback ports of its own, its data in a throw-away folder. */
export class KvdProcess {
  readonly client: KvClient;
  #child: ChildProcess | undefined;
  #output = '';

  private constructor(
    readonly endpoint: string,
    private readonly dataDir: string,
  ) {
    this.client = new KvClient({ endpoints: [endpoint], timeoutMs: 2000 });
  }

  static async start(): Promise<KvdProcess> {
    const dataDir = await mkdtemp(path.join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 'runner-kvd-'));
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const endpoint = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const kvd = new KvdProcess(endpoint, dataDir);
    // prettier-ignore
    const child = spawn(process.execPath, [KVD_MAIN,
      '--name', 'runner-test', '--data-dir', path.join(dataDir, 'data'),
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `runner-test=${peer}`, '--initial-cluster-token', path.basename(dataDir),
      '--heartbeat-interval', '50', '--election-timeout', '500',
    ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MINICORE_LOG_LEVEL: 'warn' } });
    kvd.#child = child;
    child.stdout.on('data', (chunk: Buffer) => (kvd.#output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (kvd.#output += chunk.toString()));
    try {
      // Healthy and taking writes (it has elected itself).
      await waitFor('kvd to take writes', async () => {
        if (child.exitCode !== null) throw new Error(`kvd exited ${child.exitCode}: ${kvd.#output.slice(-2000)}`);
        await kvd.client.set('/runner-test/ready', 'yes');
        return true;
      }, 20_000);
    } catch (error) {
      await kvd.stop();
      throw error;
    }
    return kvd;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
