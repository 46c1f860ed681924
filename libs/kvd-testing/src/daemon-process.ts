import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './wait-for.js';

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built Node bin (a CLI) to completion, bounded (SIGKILL after timeoutMs). */
export async function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<Outcome> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/**
 * A long-running Node bin from the built dist (plain node: catches ESM/CJS import mistakes) whose log
 * the test can read; it is ready when its log matches a pattern. `stop()` SIGTERMs it (SIGKILL after 10 s).
 */
export class DaemonProcess {
  #child: ChildProcess | undefined;
  #log = '';

  constructor(
    readonly bin: string,
    readonly args: string[],
  ) {}

  async start(ready: RegExp): Promise<RegExpExecArray> {
    const child = spawn(process.execPath, [this.bin, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MINICORE_LOG_LEVEL: 'info' } });
    this.#child = child;
    child.stdout.on('data', (chunk: Buffer) => (this.#log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.#log += chunk.toString()));
    return waitFor(
      `${path.basename(this.bin)} to be ready`,
      () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${this.#log}`);
        return ready.exec(this.#log) ?? undefined;
      },
      10_000,
      50,
    );
  }

  get log(): string {
    return this.#log;
  }

  /** SIGTERM and wait for the exit (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** kill -9: no clean shutdown. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
