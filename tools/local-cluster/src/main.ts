// npm start: runs a local Minicore cluster as processes on this machine (no VMs, no root).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, integer, loadConfigOrExit, string, boolean } from '@minicore/config';
import { planCluster } from './plan.js';
import { RunningDaemon } from './supervisor.js';

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const config = loadConfigOrExit(
  defineConfig({
    program: 'npm start --',
    summary: 'Runs a local Minicore cluster: N machines on 127.0.0.11, .12, ..., each with its own data folder. Ctrl-C stops it; data survives restarts.',
    envPrefix: 'MINICORE',
    fields: {
      machines: integer({ description: 'How many machines', default: 3, min: 1, max: 9 }),
      dataDir: string({ description: 'Where the machines keep their data', default: path.join(workspaceRoot, '.minicore') }),
      quiet: boolean({ description: 'Do not echo the daemons\' logs' }),
    },
  }),
);

const write = config.quiet ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
const plan = planCluster({ machines: config.machines, dataDir: config.dataDir, workspaceRoot });
const daemons: RunningDaemon[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  stopping = true;
  process.stdout.write('\nstopping the cluster...\n');
  await Promise.all(daemons.map((daemon) => daemon.stop()));
  process.stdout.write('stopped.\n');
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

process.stdout.write(`starting ${plan.length} machines (data in ${config.dataDir})...\n`);
for (const machine of plan) {
  for (const daemonPlan of machine.daemons) {
    const daemon = new RunningDaemon(machine.name, daemonPlan, write);
    daemons.push(daemon);
    void daemon.exited.then((code) => {
      if (!stopping) process.stdout.write(`${machine.name} ${daemonPlan.name} exited with code ${code}\n`);
    });
  }
}
try {
  await Promise.all(daemons.map((daemon) => daemon.waitHealthy(60_000)));
} catch (error) {
  process.stdout.write(`${(error as Error).message}\n`);
  await stopAll(1);
}

const kvEndpoints = plan.map((machine) => `http://${machine.address}:2379`).join(',');
process.stdout.write(
  [
    '',
    `Minicore is running: ${plan.length} machines.`,
    ...plan.map((machine) => `  ${machine.name}  ${machine.address}  kv http://${machine.address}:2379`),
    '',
    'Try:',
    `  export KVCTL_ENDPOINTS=${kvEndpoints}`,
    '  npx kvctl set /hello world && npx kvctl get /hello',
    '  npx kvctl member list',
    '',
    'Ctrl-C stops the cluster; its data stays in ' + config.dataDir + ' for the next start.',
    '',
  ].join('\n'),
);
