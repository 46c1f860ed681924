import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';

export const DBUS_DAEMON = process.env['DBUS_DAEMON'] ?? '/usr/bin/dbus-daemon';

/** dbus-daemon is there (Debian package `dbus`); suites that need it say so when it is not. */
export const dbusAvailable = existsSync(DBUS_DAEMON);

export interface PrivateBus {
  /** The address to pass as --dbus-address / `address`. */
  address: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * A bus of the test's own: `dbus-daemon --session --nofork --print-address=1` (or with a config
 * file of the test's), never the machine's system bus. Resolves once the address is printed;
 * `stop()` kills exactly this daemon.
 */
export async function startPrivateBus(options: { configFile?: string; timeoutMs?: number } = {}): Promise<PrivateBus> {
  const args = [options.configFile ? `--config-file=${options.configFile}` : '--session', '--nofork', '--print-address=1'];
  const child: ChildProcess = spawn(DBUS_DAEMON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dbus-daemon printed no address within ${options.timeoutMs ?? 10_000} ms: ${errors}`)), options.timeoutMs ?? 10_000);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`dbus-daemon exited ${code}: ${errors}`));
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n')[0];
        if (output.includes('\n') && line) {
          clearTimeout(timer);
          resolve(line.trim());
        }
      });
    });
    return { address, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
