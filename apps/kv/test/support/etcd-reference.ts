import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './kvd-cluster.js';

/** Debian's etcd-server (3.4): the reference kvd is measured against. */
export const ETCD_BINARY = process.env['ETCD_BINARY'] ?? '/usr/bin/etcd';

export const etcdAvailable = existsSync(ETCD_BINARY);

export interface ReferenceEtcd {
  endpoint: string;
  peerUrl: string;
  /** What etcd printed, for failure messages. */
  readonly output: string;
  stop(): Promise<void>;
}

/**
 * A real single-member etcd with the v2 API on, on loopback ports of its own and a throw-away data
 * dir; resolves once /health answers 200 (etcd only says so after it elected itself and published).
 */
export async function startReferenceEtcd(timeoutMs = 20_000): Promise<ReferenceEtcd> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'etcd-ref-'));
  const [clientPort, peerPort] = await Promise.all([freePort(), freePort()]);
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  // prettier-ignore
  const child = spawn(ETCD_BINARY, [
    '--enable-v2',
    '--name', 'ref',
    '--data-dir', dataDir,
    '--listen-client-urls', endpoint,
    '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `ref=${peerUrl}`,
    '--initial-cluster-token', `ref-${path.basename(dataDir)}`,
    '--log-level', 'warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ETCDCTL_API: '3' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`etcd exited before it was healthy:\n${output.slice(-4000)}`);
    }
    try {
      const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      const body = await response.text();
      if (response.ok && body.includes('"true"')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd not healthy after ${timeoutMs} ms:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    endpoint,
    peerUrl,
    get output() {
      return output;
    },
    stop,
  };
}
