// npm start: runs a local Minicore cluster as processes on this machine (no VMs, no root).
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { boolean, defineConfig, duration, integer, loadConfigOrExit, string } from '@minicore/config';
import { bootMachine } from './boot.js';
import { stopMachineContainers } from './containers.js';
import { machineName, planMachine, rebootRequestFile, type ClusterOptions, type MachinePlan } from './plan.js';
import { stopMachineUnits } from './power-off.js';
import { RunningDaemon } from './supervisor.js';
import { lowPriorityPrefix, prepareUpdateServer, type UpdateServerSetup } from './update-server.js';

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const config = loadConfigOrExit(
  defineConfig({
    program: 'npm start --',
    summary:
      'Runs a local Minicore cluster: N machines on 127.0.0.11, .12, ..., each with its own data folder, and the update server on 127.0.0.10:4005. Each machine boots from its slot A or B (slot A is this working tree) and its updaterd installs releases published to the update server, rebooting (restarting the machine\'s daemons from the other slot) one machine at a time. Ctrl-C powers the machines off; data survives restarts.',
    envPrefix: 'MINICORE',
    fields: {
      machines: integer({ description: 'How many machines', default: 3, min: 1, max: 9 }),
      dataDir: string({ description: 'Where the machines keep their data', default: path.join(workspaceRoot, '.minicore') }),
      quiet: boolean({ description: 'Do not echo the daemons\' logs' }),
      noUpdater: boolean({ description: 'Run neither the update server nor updaterd' }),
      firstUpdateCheck: duration({ description: 'updaterd\'s first update check after a machine boots', default: 60_000 }),
      updateCheckInterval: duration({ description: 'Time between updaterd\'s update checks', default: 10 * 60_000 }),
      healthyAfter: duration({ description: 'Healthy time before a machine\'s booted slot is marked good', default: 45_000 }),
    },
  }),
);

const write = config.quiet ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
const dockerSocket = process.env['DOCKER_SOCKET'] ?? '/var/run/docker.sock';
const docker = existsSync(dockerSocket) ? { socket: dockerSocket } : undefined;
if (!docker) process.stdout.write(`no Docker engine at ${dockerSocket}: the machines run without runnerd\n`);

let updateServer: UpdateServerSetup | undefined;
let updateServerDaemon: RunningDaemon | undefined;
const options: ClusterOptions = { machines: config.machines, dataDir: config.dataDir, workspaceRoot, docker, roots: {} };
const names = Array.from({ length: config.machines }, (_, i) => machineName(i + 1));
/** Each machine's running daemons, in start order. */
const running = new Map<string, RunningDaemon[]>();
const rebooting = new Set<string>();
let stopping = false;

function startDaemon(machine: string, plan: MachinePlan['daemons'][number]): RunningDaemon {
  const daemon = new RunningDaemon(machine, plan, write);
  void daemon.exited.then((code) => {
    if (!stopping && !rebooting.has(machine)) process.stdout.write(`${machine} ${plan.name} exited with code ${code}\n`);
  });
  running.get(machine)!.push(daemon);
  return daemon;
}

/** A machine powering off: its daemons in reverse order, then what they leave running (units, containers). */
async function powerOff(machine: string): Promise<{ units: number; containers: number }> {
  for (const daemon of [...(running.get(machine) ?? [])].reverse()) await daemon.stop();
  running.set(machine, []);
  const units = await stopMachineUnits(path.join(config.dataDir, machine));
  const containers = docker ? await stopMachineContainers(docker.socket, machine).catch(() => 0) : 0;
  return { units, containers };
}

async function stopAll(code: number): Promise<never> {
  stopping = true;
  process.stdout.write('\nstopping the cluster...\n');
  // DESIGN.md's order reversed, stage by stage across the machines.
  const deepest = Math.max(0, ...[...running.values()].map((daemons) => daemons.length));
  for (let stage = deepest - 1; stage >= 0; stage--) {
    const daemons = [...running.values()].flatMap((machine) => machine.slice(stage, stage + 1));
    await Promise.all(daemons.map((daemon) => daemon.stop()));
  }
  const left = await Promise.all(names.map((machine) => powerOff(machine)));
  await updateServerDaemon?.stop();
  const units = left.reduce((sum, l) => sum + l.units, 0);
  const containers = left.reduce((sum, l) => sum + l.containers, 0);
  if (units > 0) process.stdout.write(`stopped ${units} unit process(es).\n`);
  if (containers > 0) process.stdout.write(`stopped ${containers} container(s).\n`);
  process.stdout.write('stopped.\n');
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

/** Runs the boot selector of each machine; returns the slot each boots. */
async function bootSelect(machine: string): Promise<string> {
  const booted = await bootMachine({ dataDir: config.dataDir, machine, workspaceRoot });
  options.roots![machine] = booted.root;
  return `${booted.slot}${booted.trial ? ' (on trial)' : ''}`;
}

/** updaterd asked for a reboot (it touched the request file): power the machine off and boot it again. */
async function reboot(index: number): Promise<void> {
  const machine = machineName(index);
  rebooting.add(machine);
  try {
    process.stdout.write(`${machine} rebooting...\n`);
    await powerOff(machine);
    const slot = await bootSelect(machine);
    process.stdout.write(`${machine} booting slot ${slot}\n`);
    for (const plan of planMachine(options, index).daemons) await startDaemon(machine, plan).waitHealthy(60_000);
    process.stdout.write(`${machine} is up again (slot ${slot})\n`);
  } catch (error) {
    process.stdout.write(`${machine} did not come back: ${(error as Error).message}\n`);
  } finally {
    rebooting.delete(machine);
  }
}

process.stdout.write(`starting ${config.machines} machines (data in ${config.dataDir})...\n`);
try {
  if (!config.noUpdater) {
    updateServer = await prepareUpdateServer(config.dataDir, workspaceRoot);
    updateServerDaemon = new RunningDaemon('host', updateServer.plan, write);
    await updateServerDaemon.waitHealthy(60_000);
    options.updater = {
      server: `${updateServer.url}/v1/update/`,
      trustedKey: `${updateServer.key}.pub`,
      firstCheckDelay: `${config.firstUpdateCheck}ms`,
      checkInterval: `${config.updateCheckInterval}ms`,
      healthyAfter: `${config.healthyAfter}ms`,
      lowPriority: lowPriorityPrefix(),
    };
  }
  for (const machine of names) {
    running.set(machine, []);
    const slot = await bootSelect(machine);
    if (slot !== 'A') process.stdout.write(`${machine} boots slot ${slot}\n`);
  }
  const plans = names.map((_, i) => planMachine(options, i + 1));
  // DESIGN.md's order: every machine's kvd first, then the next daemon on every machine, and so on.
  const stageCount = Math.max(...plans.map((machine) => machine.daemons.length));
  for (let stage = 0; stage < stageCount; stage++) {
    const started = plans.flatMap((machine) => {
      const daemonPlan = machine.daemons[stage];
      return daemonPlan ? [startDaemon(machine.name, daemonPlan)] : [];
    });
    await Promise.all(started.map((daemon) => daemon.waitHealthy(60_000)));
  }
} catch (error) {
  process.stdout.write(`${(error as Error).message}\n`);
  await stopAll(1);
}

if (options.updater) {
  // A reboot request is a file updaterd's --reboot-command touches; one reboot per machine at a time.
  setInterval(() => {
    if (stopping) return;
    names.forEach((machine, i) => {
      const request = rebootRequestFile(config.dataDir, machine);
      if (rebooting.has(machine) || !existsSync(request)) return;
      rebooting.add(machine);
      void rm(request, { force: true }).then(() => reboot(i + 1));
    });
  }, 500);
}

const first = names.map((_, i) => planMachine(options, i + 1));
const kvEndpoints = first.map((machine) => `http://${machine.address}:2379`).join(',');
process.stdout.write(
  [
    '',
    `Minicore is running: ${first.length} machines.`,
    ...first.map((machine) => `  ${machine.name}  ${machine.address}  kv http://${machine.address}:2379  scheduler http://${machine.address}:4002${docker ? `  runner http://${machine.address}:4003` : ''}`),
    ...(updateServer ? [`  update server ${updateServer.url} (every machine's updaterd checks in, track "stable")`] : []),
    '',
    'Try:',
    `  export KVCTL_ENDPOINTS=${kvEndpoints}`,
    '  npx kvctl set /hello world && npx kvctl get /hello',
    '  npx kvctl member list',
    `  export SCHEDCTL_ENDPOINT=http://${first[0]!.address}:4002`,
    '  npx schedctl list-machines && npx schedctl list-units',
    ...(docker ? [`  npx runctl --endpoint http://${first[0]!.address}:4003 ps -a`] : []),
    ...(updateServer
      ? [
          '',
          'Update the machines (each installs it, then they reboot one at a time under the kv lock):',
          `  export UPDATECTL_SERVER=${updateServer.url} UPDATECTL_TOKEN=${updateServer.token}`,
          `  npm run release -- --version 1.1.0 --key ${updateServer.key} --out /tmp/minicore-1.1.0.mcr`,
          '  npx updatectl release upload /tmp/minicore-1.1.0.mcr && npx updatectl channel create stable 1.1.0',
          '  npx updatectl group create stable --channel stable --track stable --max-per-period 3 --enabled',
          '  npx updatectl rollout status stable',
        ]
      : []),
    '',
    'Ctrl-C stops the cluster; its data stays in ' + config.dataDir + ' for the next start.',
    '',
  ].join('\n'),
);
