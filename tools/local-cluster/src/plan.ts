import path from 'node:path';

/** One process the launcher runs on a machine. */
export interface DaemonPlan {
  /** e.g. `kvd` */
  name: string;
  /** Script run with node. */
  script: string;
  args: string[];
  /** Answers 200 once the daemon is up. */
  healthUrl: string;
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
export function planCluster(options: { machines: number; dataDir: string; workspaceRoot: string; docker?: { socket: string } | undefined }): MachinePlan[] {
  const names = Array.from({ length: options.machines }, (_, i) => `core-${i + 1}`);
  const initialCluster = names.map((name, i) => `${name}=http://${machineAddress(i + 1)}:2380`).join(',');
  return names.map((name, i) => {
    const address = machineAddress(i + 1);
    const machineDir = path.join(options.dataDir, name);
    const kvd: DaemonPlan = {
      name: 'kvd',
      script: path.join(options.workspaceRoot, 'apps/kv/dist/kvd/main.js'),
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
      script: path.join(options.workspaceRoot, 'apps/scheduler/dist/schedulerd/main.js'),
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
      script: path.join(options.workspaceRoot, 'apps/runner/dist/runnerd/main.js'),
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
    return { name, address, daemons: runnerd ? [kvd, runnerd, schedulerd] : [kvd, schedulerd] };
  });
}
