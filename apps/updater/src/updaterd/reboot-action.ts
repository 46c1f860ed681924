import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface RebootContext {
  machineId: string;
  newVersion: string;
}

/** Reboots the machine; resolves once the reboot was asked for (a real one then ends this process). */
export type RebootAction = (context: RebootContext) => Promise<void>;

/** The reboot command failed; `signal` when a signal ended it. */
export class RebootCommandError extends Error {
  override name = 'RebootCommandError';
  constructor(
    message: string,
    readonly signal: NodeJS.Signals | null,
  ) {
    super(message);
  }
}

/**
 * SIGTERM ending the reboot command is the reboot itself: the shutdown stops every service's
 * processes, `systemctl reboot` waiting for its job among them. Not a failure to recover from.
 */
export function endedByShutdown(error: unknown): boolean {
  return error instanceof RebootCommandError && error.signal === 'SIGTERM';
}

/** systemd is PID 1: a VM or a system container, where `systemctl reboot` is a real reboot. */
export async function systemdIsInit(): Promise<boolean> {
  return (await readFile('/proc/1/comm', 'utf8').catch(() => '')).trim() === 'systemd';
}

/**
 * Runs `command` with /bin/sh, the machine id and the new version in MINICORE_MACHINE_ID and
 * MINICORE_NEW_VERSION: how the local launcher restarts a machine's process group, and how tests
 * see a reboot without rebooting anything. Bounded: a command still running after `timeoutMs` is killed.
 */
export function commandReboot(command: string, timeoutMs = 60_000): RebootAction {
  return async (context) => {
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, MINICORE_MACHINE_ID: context.machineId, MINICORE_NEW_VERSION: context.newVersion },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c: number | null, s: NodeJS.Signals | null) => resolve([c, s]));
    }).finally(() => clearTimeout(timer));
    if (code !== 0) throw new RebootCommandError(`reboot command "${command}" ${signal ? `was killed by ${signal}` : `exited ${code}`}${stderr ? `: ${stderr.trim().slice(0, 500)}` : ''}`, signal);
  };
}

/** `--reboot-command` when given; `systemctl reboot` where systemd is PID 1; otherwise none (the reboot manager says so). */
export async function chooseRebootAction(command: string): Promise<{ action: RebootAction; description: string } | undefined> {
  if (command) return { action: commandReboot(command), description: command };
  if (await systemdIsInit()) return { action: commandReboot('systemctl reboot'), description: 'systemctl reboot' };
  return undefined;
}
