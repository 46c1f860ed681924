import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './run-command.js';
import { vagrantStateDir, workspaceRoot, type Cluster, type ClusterMachine } from './cluster.js';

/** The cluster's secrets, as the Vagrantfile made them (see vagrant/README.md). */
const secrets = path.join(vagrantStateDir, 'minicore');
export const releaseKey = path.join(secrets, 'release.key');

/** Packs this workspace's build as release `version`, signed with the cluster's key (`extra`: e.g. the tests-only --test-broken-daemon). */
export async function packRelease(version: string, out: string, extra: readonly string[] = []): Promise<{ files: number; size: number }> {
  const { stdout } = await runCommand(process.execPath, [path.join(workspaceRoot, 'tools/release/dist/main.js'), '--version', version, '--key', releaseKey, '--out', out, '--root', workspaceRoot, ...extra], { timeoutMs: 180_000 });
  return JSON.parse(stdout) as { files: number; size: number };
}

const adminToken = async () => (await readFile(path.join(secrets, 'update-server.token'), 'utf8')).trim();

/** updatectl's admin commands against the cluster's update-server (on the first machine). */
export async function updatectlAdmin(server: ClusterMachine, args: readonly string[]): Promise<string> {
  const token = await adminToken();
  const main = path.join(workspaceRoot, 'apps/updater/dist/updatectl/main.js');
  return (await runCommand(process.execPath, [main, '--server', `http://${server.address}:4005`, '--token', token, ...args], { timeoutMs: 120_000 })).stdout;
}

/** GET on update-server's admin API (what updatectl shows, with the fields it leaves out, e.g. an instance's history). */
export async function adminGet<T>(server: ClusterMachine, route: string): Promise<T> {
  const response = await fetch(`http://${server.address}:4005/api${route}`, { headers: { authorization: `Bearer ${await adminToken()}` }, signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${route}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** An instance as update-server's admin API returns it (the fields the scenarios read). */
export interface ServerInstance {
  machineId: string;
  version: string;
  statusName: string;
  lastUpdateVersion: string | null;
  lastErrorCode: number | null;
  history?: { statusName: string; version: string; errorCode?: number; errorName?: string }[];
}

/** What a machine booted: the slot (per the boot selector's record), when, and that slot's release version. */
export async function bootedRelease(cluster: Cluster, machine: ClusterMachine): Promise<{ slot: string; version: string; trial: boolean; bootedAt: string }> {
  const slots = '/opt/minicore/slots';
  const output = await cluster.exec(machine.name, `cat ${slots}/booted.json; echo; cat "${slots}/$(sed -n 's/.*"slot": *"\\([AB]\\)".*/\\1/p' ${slots}/booted.json).manifest.json"`);
  const [booted, ...manifest] = output.split('\n');
  const record = JSON.parse(booted!) as { slot: string; trial: boolean; bootedAt: string };
  const version = /"version":\s*"([^"]+)"/.exec(manifest.join('\n'))?.[1] ?? '?';
  return { slot: record.slot, version, trial: record.trial, bootedAt: record.bootedAt };
}
