import path from 'node:path';

/** One process the launcher runs on a machine. */
export interface DaemonPlan {
  /** e.g. `kvd` */
  name: string;
  /** Script run with node. */
  script: string;
  args: string[];
  /** Answers 200 once the daemon is up; none: up once it has run for a moment. */
  healthUrl?: string;
  /** Command words run before node, e.g. `nice -n 19 ionice -c 3` for a low-priority daemon. */
  prefix?: string[];
}

export interface MachinePlan {
  name: string;
  address: string;
  daemons: DaemonPlan[];
}

/** Machine i (1-based) lives at 127.0.0.(10+i): its own address, so every daemon keeps its standard ports. */
export function machineAddress(i: number): string {
  return `127.0.0.${10 + i}`;
}

/**
 * The local cluster: N machines, each a set of daemon processes with standard ports on its own
 * loopback address and its own data folder. Started in DESIGN.md's order (kvd first); apps join
 * by adding their daemon here.
 */
export interface ClusterOptions {
  machines: number;
  dataDir: string;
  workspaceRoot: string;
  docker?: { socket: string } | undefined;
  /** Each machine's updaterd and the update server it checks in with; none: no updaterd. */
  updater?: UpdaterPlanOptions | undefined;
  /**
   * The folder each machine runs its daemons from (the slot its boot selector chose), by machine
   * name; the workspace itself when absent.
   */
  roots?: Record<string, string>;
}

export interface UpdaterPlanOptions {
  /** Omaha URL, e.g. http://127.0.0.10:4005/v1/update/ */
  server: string;
  trustedKey: string;
  firstCheckDelay: string;
  checkInterval: string;
  healthyAfter: string;
  /** Command words that run a daemon at low CPU and I/O priority (nice, ionice). */
  lowPriority: string[];
}

export function machineName(i: number): string {
  return `core-${i}`;
}

/** The file whose appearance asks the launcher to reboot a machine (updaterd's --reboot-command touches it). */
export function rebootRequestFile(dataDir: string, machine: string): string {
  return path.join(dataDir, machine, 'reboot-requested');
}

export function slotsDir(dataDir: string, machine: string): string {
  return path.join(dataDir, machine, 'slots');
}

export function planCluster(options: ClusterOptions): MachinePlan[] {
  return Array.from({ length: options.machines }, (_, i) => planMachine(options, i + 1));
}

/** Machine i (1-based) of the cluster: its daemons in start order, run from its root. */
export function planMachine(options: ClusterOptions, index: number): MachinePlan {
  const names = Array.from({ length: options.machines }, (_, i) => machineName(i + 1));
  const initialCluster = names.map((name, i) => `${name}=http://${machineAddress(i + 1)}:2380`).join(',');
  const i = index - 1;
  const name = machineName(index);
  const root = options.roots?.[name] ?? options.workspaceRoot;
  const address = machineAddress(i + 1);
  const machineDir = path.join(options.dataDir, name);
  const kvd: DaemonPlan = {
    name: 'kvd',
    script: path.join(root, 'apps/kv/dist/kvd/main.js'),
    args: [
      '--name', name,
      '--data-dir', path.join(machineDir, 'kv'),
      '--listen-client-urls', `http://${address}:2379,http://${address}:4001`,
      '--advertise-client-urls', `http://${address}:2379,http://${address}:4001`,
      '--listen-peer-urls', `http://${address}:2380`,
      '--initial-advertise-peer-urls', `http://${address}:2380`,
      '--initial-cluster', initialCluster,
      '--initial-cluster-token', 'minicore-local',
    ],
    healthUrl: `http://${address}:2379/health`,
  };
  const schedulerd: DaemonPlan = {
    name: 'schedulerd',
    script: path.join(root, 'apps/scheduler/dist/schedulerd/main.js'),
    args: [
      '--kv-endpoints', `http://${address}:2379`,
      '--machine-id', name,
      '--public-ip', address,
      '--api-listen', `${address}:4002`,
      '--data-dir', path.join(machineDir, 'scheduler'),
      '--unit-backend', 'exec',
    ],
    healthUrl: `http://${address}:4002/health`,
  };
  // runnerd needs a Docker engine; the machines share this one, each labelling its own containers,
  // and each gets its own port on the docker bridge where its containers reach its kv.
  const runnerd: DaemonPlan | undefined = options.docker && {
    name: 'runnerd',
    script: path.join(root, 'apps/runner/dist/runnerd/main.js'),
    args: [
      '--listen', `${address}:4003`,
      '--docker-socket', options.docker.socket,
      '--kv-endpoints', `http://${address}:2379`,
      '--machine-id', name,
      '--advertise-host', address,
      '--container-kv-listen', `bridge:${23790 + i + 1}`,
      '--data-dir', path.join(machineDir, 'runner'),
    ],
    healthUrl: `http://${address}:4003/health`,
  };
  // updaterd last (DESIGN.md's order), at low priority so that an update never crowds out the
  // machine's work; a reboot it asks for is the launcher restarting this machine's daemons.
  const updater = options.updater;
  const updaterd: DaemonPlan | undefined = updater && {
    name: 'updaterd',
    script: path.join(root, 'apps/updater/dist/updaterd/main.js'),
    prefix: updater.lowPriority,
    args: [
      '--slots-dir', slotsDir(options.dataDir, name),
      '--server', updater.server,
      '--track', 'stable',
      '--trusted-key', updater.trustedKey,
      '--machine-id', name,
      '--kv-endpoints', `http://${address}:2379`,
      '--health-urls', `http://${address}:2379/health`,
      '--healthy-after', updater.healthyAfter,
      '--first-check-delay', updater.firstCheckDelay,
      '--check-interval', updater.checkInterval,
      '--check-fuzz', '0s',
      '--reboot-strategy', 'etcd-lock',
      '--reboot-command', `touch '${rebootRequestFile(options.dataDir, name)}'`,
      // Several machines share this host's system bus, where only one could own the name.
      '--dbus-address', 'none',
    ],
  };
  const daemons = [kvd, ...(runnerd ? [runnerd] : []), schedulerd, ...(updaterd ? [updaterd] : [])];
  return { name, address, daemons };
}
