import path from 'node:path';
import { runCommand } from './run-command.js';
import { workspaceRoot, type ClusterMachine } from './cluster.js';

/** This repository's built CLIs, run from the host as a user would (`npx kvctl ...`). */
const cliMain = {
  kvctl: 'apps/kv/dist/kvctl/main.js',
  runctl: 'apps/runner/dist/runctl/main.js',
  schedctl: 'apps/scheduler/dist/schedctl/main.js',
} as const;

async function cli(name: keyof typeof cliMain, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return (await runCommand(process.execPath, [path.join(workspaceRoot, cliMain[name]), ...args], { timeoutMs })).stdout;
}

/** kvctl against these machines' kvd (it fails over between them in order). */
export function kvctl(machines: readonly ClusterMachine[], args: readonly string[]): Promise<string> {
  return cli('kvctl', ['--endpoints', machines.map((machine) => machine.kvUrl).join(','), ...args]);
}

/** runctl against one machine's runnerd. */
export function runctl(machine: ClusterMachine, args: readonly string[]): Promise<string> {
  return cli('runctl', ['--endpoint', machine.runnerUrl, ...args]);
}

/** schedctl against one machine's schedulerd (fleet's API; schedctl uses one endpoint). */
export function schedctl(machine: ClusterMachine, args: readonly string[], timeoutMs?: number): Promise<string> {
  return cli('schedctl', ['--endpoint', machine.schedulerUrl, ...args], timeoutMs);
}
