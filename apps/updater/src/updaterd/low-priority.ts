import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { InstallJob, InstallMessage } from './install-job.js';

export type InstallPriority = 'idle' | 'normal';

let ioniceWorks: boolean | undefined;

/**
 * The command prefix that starts a process at the lowest CPU priority (nice 19) and in the idle I/O
 * class (it gets the disk only when nobody else wants it). ionice is left out where it is missing
 * or refused; nice alone still yields the CPU.
 */
export function priorityPrefix(priority: InstallPriority): string[] {
  if (priority === 'normal') return [];
  ioniceWorks ??= spawnSync('ionice', ['-c', '3', 'true'], { stdio: 'ignore' }).status === 0;
  return ['nice', '-n', '19', ...(ioniceWorks ? ['ionice', '-c', '3'] : [])];
}

/**
 * Runs an InstallJob in the worker process (install-worker.js) under `prefix`, passing its
 * messages on. Resolves with the last message (installed or failed); a worker that dies without
 * one is a failure with code 1 (kActionCodeError).
 */
export async function runInstallWorker(options: { script: string; prefix: string[]; job: InstallJob; onMessage: (message: InstallMessage) => void }): Promise<InstallMessage> {
  const [command = process.execPath, ...args] = [...options.prefix, process.execPath, options.script, JSON.stringify(options.job)];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  let final: InstallMessage | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let message: InstallMessage;
    try {
      message = JSON.parse(line) as InstallMessage;
    } catch {
      return;
    }
    if (message.type === 'installed' || message.type === 'failed') final = message;
    options.onMessage(message);
  });
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      stderr += error.message;
      resolve(-1);
    });
    child.once('close', (status) => resolve(status));
  });
  return final ?? { type: 'failed', errorCode: 1, message: `install worker exited with ${code}: ${stderr.trim()}`, resumed: false };
}
