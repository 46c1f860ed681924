import { execFile } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to completion; rejects with its output when it fails. */
export function runCommand(file: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const ms = Math.round(performance.now() - started);
      if (error) reject(new Error(`${file} ${args.join(' ')} failed after ${ms} ms: ${error.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr, ms });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
