import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from './run-command.js';

/** One machine of the cluster under test, as seen from this host. */
export interface ClusterMachine {
  /** `core-1`, ...: the kv member name and the Vagrant machine name. */
  name: string;
  address: string;
  kvUrl: string;
  runnerUrl: string;
  schedulerUrl: string;
}

/** The cluster the suite runs against (MINICORE_E2E_CLUSTER), and what it can do to its machines. */
export interface Cluster {
  kind: 'vagrant' | 'local';
  machines: ClusterMachine[];
  /** False for the `npm start` cluster: its processes belong to the launcher. */
  canPowerCycle: boolean;
  /** Like pulling the plug gently: `vagrant halt`, a clean shutdown that keeps the machine's disk. */
  powerOff(name: string): Promise<number>;
  /** `vagrant up`: boots the machine again (no re-provisioning). */
  powerOn(name: string): Promise<number>;
  /** Runs a shell command on the machine as root. */
  exec(name: string, command: string, input?: string): Promise<string>;
}

export const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const vagrantDir = path.join(workspaceRoot, 'vagrant');
/** MINICORE_SUBNET and VAGRANT_DOTFILE_PATH select a second cluster beside the demo one (see the Vagrantfile). */
const subnet = process.env['MINICORE_SUBNET'] ?? '10.77.0';
export const vagrantStateDir = path.resolve(vagrantDir, process.env['VAGRANT_DOTFILE_PATH'] ?? '.vagrant');

/** The machine count: MINICORE_MACHINES, else what the Vagrantfile remembered, else 3. */
function machineCount(): number {
  const fromEnv = process.env['MINICORE_MACHINES'];
  if (fromEnv) return Number(fromEnv);
  const remembered = path.join(vagrantStateDir, 'minicore-machines');
  return fs.existsSync(remembered) ? Number(fs.readFileSync(remembered, 'utf8').trim()) : 3;
}

function machinesAt(addressOf: (i: number) => string): ClusterMachine[] {
  return Array.from({ length: machineCount() }, (_, index) => {
    const address = addressOf(index + 1);
    return {
      name: `core-${index + 1}`,
      address,
      kvUrl: `http://${address}:2379`,
      runnerUrl: `http://${address}:4003`,
      schedulerUrl: `http://${address}:4002`,
    };
  });
}

/**
 * Runs vagrant; once more when it failed for a reason of its own rather than the machine's: Debian's
 * Ruby 3.1 sometimes aborts under load ("[BUG] timer_settime"), and a machine can be briefly locked by
 * another vagrant command. Both commands used here (halt, up) may safely run again.
 */
async function vagrant(args: string[], timeoutMs = 180_000): Promise<{ ms: number }> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await runCommand('vagrant', args, { cwd: vagrantDir, timeoutMs });
      return { ms: Math.round(performance.now() - started) };
    } catch (error) {
      const transient = /\[BUG\]|because it is locked/.test((error as Error).message);
      if (!transient || attempt === 3) throw error;
      console.log(`vagrant ${args.join(' ')} failed for a reason of vagrant's own; again (attempt ${attempt + 1})`);
    }
  }
}

function vagrantCluster(): Cluster {
  const containerId = (name: string) => fs.readFileSync(path.join(vagrantStateDir, 'machines', name, 'docker', 'id'), 'utf8').trim();
  return {
    kind: 'vagrant',
    machines: machinesAt((i) => `${subnet}.${10 + i}`),
    canPowerCycle: true,
    powerOff: async (name) => (await vagrant(['halt', name])).ms,
    powerOn: async (name) => (await vagrant(['up', name])).ms,
    // docker exec is much faster than `vagrant ssh` (no Ruby start-up) on the docker provider.
    exec: async (name, command, input) => (await runCommand('docker', ['exec', '-i', containerId(name), 'sh', '-c', command], { input })).stdout,
  };
}

function localCluster(): Cluster {
  const unsupported = () => Promise.reject(new Error('the local cluster (npm start) cannot power machines off and on'));
  return {
    kind: 'local',
    machines: machinesAt((i) => `127.0.0.${10 + i}`),
    canPowerCycle: false,
    powerOff: unsupported,
    powerOn: unsupported,
    exec: unsupported,
  };
}

export function clusterUnderTest(): Cluster {
  const kind = process.env['MINICORE_E2E_CLUSTER'] ?? 'vagrant';
  if (kind === 'vagrant') return vagrantCluster();
  if (kind === 'local') return localCluster();
  throw new Error(`MINICORE_E2E_CLUSTER=${kind}: expected vagrant or local`);
}
