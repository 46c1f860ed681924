import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DaemonProcess, KVD_MAIN, freePort, waitFor } from '@minicore/kvd-testing';
import { ADMIN_TOKEN, type DaemonName } from './cases.js';

/** The workspace root: KVD_MAIN is <root>/apps/kv/dist/kvd/main.js. */
const root = path.resolve(path.dirname(KVD_MAIN), '../../../..');
export const SCHEDULERD_MAIN = path.join(root, 'apps/scheduler/dist/schedulerd/main.js');
export const UPDATE_SERVER_MAIN = path.join(root, 'apps/updater/dist/update-server/main.js');

export interface RunningDaemon {
  name: DaemonName;
  port: number;
  process: DaemonProcess;
}

/** kvd (client and peer listeners), schedulerd against it, and update-server: real built processes on 127.0.0.1. */
export class Daemons {
  readonly all: RunningDaemon[] = [];
  #dir = '';

  async start(): Promise<void> {
    this.#dir = await mkdtemp(path.join(tmpdir(), 'minicore-fuzz-'));
    const [client, peer, api, update] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const kvUrl = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const kvd = new DaemonProcess(KVD_MAIN, ['--name', 'f', '--data-dir', path.join(this.#dir, 'kv'), '--listen-client-urls', kvUrl, '--advertise-client-urls', kvUrl, '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl]);
    this.all.push({ name: 'kvd', port: client, process: kvd }, { name: 'kvd-peer', port: peer, process: kvd });
    await kvd.start(/kvd ready/);
    await waitFor('kvd healthy', async () => (await fetch(`${kvUrl}/health`, { signal: AbortSignal.timeout(1000) })).ok, 15_000);
    const scheduler = new DaemonProcess(SCHEDULERD_MAIN, ['--kv-endpoints', kvUrl, '--machine-id', 'fuzz', '--api-listen', `127.0.0.1:${api}`, '--data-dir', path.join(this.#dir, 'sched'), '--unit-backend', 'exec']);
    this.all.push({ name: 'schedulerd', port: api, process: scheduler });
    const updater = new DaemonProcess(UPDATE_SERVER_MAIN, ['--listen', `127.0.0.1:${update}`, '--data-dir', path.join(this.#dir, 'update'), '--admin-token', ADMIN_TOKEN]);
    this.all.push({ name: 'update-server', port: update, process: updater });
    await Promise.all([scheduler.start(/schedulerd ready/), updater.start(/update-server ready/)]);
  }

  /** Stops every process (SIGTERM, SIGKILL after 10 s) and removes the data. */
  async stop(): Promise<void> {
    await Promise.all([...new Set(this.all.map((d) => d.process))].map((p) => p.stop()));
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}

/** Log lines that mean a daemon met an error it did not handle. */
export function fatalLines(log: string): string[] {
  return log.split('\n').filter((line) => /uncaught|unhandled|"level":("fatal"|60)/i.test(line));
}
