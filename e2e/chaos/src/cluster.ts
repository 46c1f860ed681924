import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The chaos cluster as seen from this host. A copy of the few parts of e2e/src/cluster.ts the runner
 * needs (a project of its own may not import another project's files): the same variables select
 * the cluster, MINICORE_SUBNET and VAGRANT_DOTFILE_PATH (tools/scripts/chaos.sh sets them).
 */
export interface ClusterMachine {
  name: string;
  address: string;
  kvUrl: string;
}

export const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const vagrantDir = path.join(workspaceRoot, 'vagrant');
export const vagrantStateDir = path.resolve(vagrantDir, process.env['VAGRANT_DOTFILE_PATH'] ?? '.vagrant-chaos');

export function clusterMachines(): ClusterMachine[] {
  const subnet = process.env['MINICORE_SUBNET'] ?? '10.78.0';
  const remembered = path.join(vagrantStateDir, 'minicore-machines');
  const count = Number(process.env['MINICORE_MACHINES'] ?? (fs.existsSync(remembered) ? fs.readFileSync(remembered, 'utf8').trim() : '5'));
  return Array.from({ length: count }, (_, index) => {
    const address = `${subnet}.${11 + index}`;
    return { name: `core-${index + 1}`, address, kvUrl: `http://${address}:2379` };
  });
}

/** Runs a command to completion; rejects with its output when it fails. */
export function runCommand(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
