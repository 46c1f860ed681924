import { runCommand } from './run-command.js';
import { workspaceRoot, type ClusterMachine } from './cluster.js';
import path from 'node:path';

const runctlMain = path.join(workspaceRoot, 'apps/runner/dist/runctl/main.js');

/** Runs this repository's runctl against one machine's runnerd; resolves with its stdout. */
export async function runctl(machine: ClusterMachine, args: readonly string[]): Promise<string> {
  return (await runCommand(process.execPath, [runctlMain, '--endpoint', machine.runnerUrl, ...args], { timeoutMs: 60_000 })).stdout;
}
