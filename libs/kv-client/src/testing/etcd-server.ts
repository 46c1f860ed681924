/**
 * Test support, exported as `@minicore/kv-client/testing`: starts the real etcd that kv clients and
 * kvctl are measured against. Not used at run time.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RunningServer {
  /** Client URL, e.g. http://127.0.0.1:41234. */
  endpoint: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; tiny race until etcd binds it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForHealth(endpoint: string, deadlineMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const exit = exited();
    if (exit) throw new Error(`etcd exited before becoming healthy: ${exit}`);
    try {
      const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      if (response.ok && ((await response.json()) as { health?: string }).health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`etcd at ${endpoint} was not healthy within ${deadlineMs} ms`);
}

/**
 * A real single-member etcd 3.4 (Debian's etcd-server) with the v2 API, on loopback only, its data
 * in a fresh folder (on /dev/shm when there is one, as fsync on disk makes etcd slow here).
 */
export async function startEtcd(): Promise<RunningServer> {
  const base = process.platform === 'linux' ? '/dev/shm' : tmpdir();
  const dataDir = await mkdtemp(path.join(base, 'minicore-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const etcd = spawn(
    process.env['ETCD_BIN'] ?? '/usr/bin/etcd',
    [
      '--enable-v2',
      '--name', 't',
      '--data-dir', dataDir,
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `t=${peer}`,
      '--log-level', 'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  etcd.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => etcd.once('exit', (code, signal) => ((exit = `code ${code} signal ${signal} ${stderr}`), resolve())));
  etcd.once('error', (error) => (exit = error.message));
  const stop = async (): Promise<void> => {
    if (exit === undefined) {
      etcd.kill('SIGTERM');
      const killer = setTimeout(() => etcd.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(endpoint, 20_000, () => exit);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
}
