import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DaemonPlan } from './plan.js';

const run = promisify(execFile);

/** The host's address in the launcher's range: the update server is the cluster's, not a machine's. */
export const UPDATE_SERVER_ADDRESS = '127.0.0.10:4005';

export interface UpdateServerSetup {
  plan: DaemonPlan;
  url: string;
  token: string;
  /** Private key releases are signed with (npm run release -- --key ...); machines trust `${key}.pub`. */
  key: string;
}

/**
 * The cluster's update server as a host process, with what it needs kept in the data folder across
 * starts: its data, an admin token, and the release key pair the machines trust.
 */
export async function prepareUpdateServer(dataDir: string, workspaceRoot: string): Promise<UpdateServerSetup> {
  const dir = path.join(dataDir, 'update-server');
  await mkdir(dir, { recursive: true });
  const tokenFile = path.join(dir, 'admin-token');
  let token = (await readFile(tokenFile, 'utf8').catch(() => '')).trim();
  if (!token) {
    token = randomBytes(16).toString('hex');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  }
  const key = path.join(dataDir, 'release.key');
  if (!existsSync(key)) await run(process.execPath, [path.join(workspaceRoot, 'apps/updater/dist/updatectl/main.js'), 'keygen', '--out', key]);
  const url = `http://${UPDATE_SERVER_ADDRESS}`;
  return {
    url,
    token,
    key,
    plan: {
      name: 'update-server',
      script: path.join(workspaceRoot, 'apps/updater/dist/update-server/main.js'),
      args: ['--listen', UPDATE_SERVER_ADDRESS, '--data-dir', path.join(dir, 'data'), '--admin-token', token],
      healthUrl: `${url}/health`,
    },
  };
}

let ioniceWorks: boolean | undefined;

/** `nice -n 19` and, where it works, `ionice -c 3` (the idle I/O class): a daemon that yields to the machine's work. */
export function lowPriorityPrefix(): string[] {
  ioniceWorks ??= spawnSync('ionice', ['-c', '3', 'true'], { stdio: 'ignore' }).status === 0;
  return ['nice', '-n', '19', ...(ioniceWorks ? ['ionice', '-c', '3'] : [])];
}
