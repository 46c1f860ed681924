import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './run-command.js';
import { vagrantStateDir, workspaceRoot, type Cluster, type ClusterMachine } from './cluster.js';

/** The cluster's secrets, as the Vagrantfile made them (see vagrant/README.md). */
const secrets = path.join(vagrantStateDir, 'minicore');
export const releaseKey = path.join(secrets, 'release.key');

/** Packs this workspace's build as release `version`, signed with the cluster's key. */
export async function packRelease(version: string, out: string): Promise<{ files: number; size: number }> {
  const { stdout } = await runCommand(process.execPath, [path.join(workspaceRoot, 'tools/release/dist/main.js'), '--version', version, '--key', releaseKey, '--out', out, '--root', workspaceRoot], { timeoutMs: 180_000 });
  return JSON.parse(stdout) as { files: number; size: number };
}

/** updatectl's admin commands against the cluster's update-server (on the first machine). */
export async function updatectlAdmin(server: ClusterMachine, args: readonly string[]): Promise<string> {
  const token = (await readFile(path.join(secrets, 'update-server.token'), 'utf8')).trim();
  const main = path.join(workspaceRoot, 'apps/updater/dist/updatectl/main.js');
  return (await runCommand(process.execPath, [main, '--server', `http://${server.address}:4005`, '--token', token, ...args], { timeoutMs: 120_000 })).stdout;
}

/** What a machine booted: the slot (per the boot selector's record) and that slot's release version. */
export async function bootedRelease(cluster: Cluster, machine: ClusterMachine): Promise<{ slot: string; version: string; trial: boolean }> {
  const slots = '/opt/minicore/slots';
  const output = await cluster.exec(machine.name, `cat ${slots}/booted.json; echo; cat "${slots}/$(sed -n 's/.*"slot": *"\\([AB]\\)".*/\\1/p' ${slots}/booted.json).manifest.json"`);
  const [booted, ...manifest] = output.split('\n');
  const record = JSON.parse(booted!) as { slot: string; trial: boolean };
  const version = /"version":\s*"([^"]+)"/.exec(manifest.join('\n'))?.[1] ?? '?';
  return { slot: record.slot, version, trial: record.trial };
}
