// npm start: runs a local Minicore cluster as processes on this machine (no VMs, no root).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, integer, loadConfigOrExit, string, boolean } from '@minicore/config';
import { planCluster } from './plan.js';
import { stopMachineUnits } from './power-off.js';
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
const dockerSocket = process.env['DOCKER_SOCKET'] ?? '/var/run/docker.sock';
const docker = existsSync(dockerSocket) ? { socket: dockerSocket } : undefined;
if (!docker) process.stdout.write(`no Docker engine at ${dockerSocket}: the machines run without runnerd\n`);
const plan = planCluster({ machines: config.machines, dataDir: config.dataDir, workspaceRoot, docker });
/** Daemons by start stage (kvd first); they stop in the reverse order. */
const stages: RunningDaemon[][] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  stopping = true;
  process.stdout.write('\nstopping the cluster...\n');
  for (const stage of [...stages].reverse()) await Promise.all(stage.map((daemon) => daemon.stop()));
  const units = (await Promise.all(plan.map((machine) => stopMachineUnits(path.join(config.dataDir, machine.name))))).reduce((a, b) => a + b, 0);
  if (units > 0) process.stdout.write(`stopped ${units} unit process(es).\n`);
  process.stdout.write('stopped.\n');
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

process.stdout.write(`starting ${plan.length} machines (data in ${config.dataDir})...\n`);
// DESIGN.md's order: every machine's kvd first, then the next daemon on every machine, and so on.
const stageCount = Math.max(...plan.map((machine) => machine.daemons.length));
try {
  for (let stage = 0; stage < stageCount; stage++) {
    const started = plan.flatMap((machine) => {
      const daemonPlan = machine.daemons[stage];
      if (!daemonPlan) return [];
      const daemon = new RunningDaemon(machine.name, daemonPlan, write);
      void daemon.exited.then((code) => {
        if (!stopping) process.stdout.write(`${machine.name} ${daemonPlan.name} exited with code ${code}\n`);
      });
      return [daemon];
    });
    stages.push(started);
    await Promise.all(started.map((daemon) => daemon.waitHealthy(60_000)));
  }
} catch (error) {
  process.stdout.write(`${(error as Error).message}\n`);
  await stopAll(1);
}

const kvEndpoints = plan.map((machine) => `http://${machine.address}:2379`).join(',');
process.stdout.write(
  [
    '',
    `Minicore is running: ${plan.length} machines.`,
    ...plan.map((machine) => `  ${machine.name}  ${machine.address}  kv http://${machine.address}:2379  scheduler http://${machine.address}:4002${docker ? `  runner http://${machine.address}:4003` : ''}`),
    '',
    'Try:',
    `  export KVCTL_ENDPOINTS=${kvEndpoints}`,
    '  npx kvctl set /hello world && npx kvctl get /hello',
    '  npx kvctl member list',
    `  export SCHEDCTL_ENDPOINT=http://${plan[0]!.address}:4002`,
    '  npx schedctl list-machines && npx schedctl list-units',
    ...(docker ? [`  npx runctl --endpoint http://${plan[0]!.address}:4003 ps -a`] : []),
    '',
    'Ctrl-C stops the cluster; its data stays in ' + config.dataDir + ' for the next start.',
    '',
  ].join('\n'),
);
