import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** journalctl's arguments for a unit's messages, bare (`-o cat`), without its "-- No entries --" notes (`-q`). */
function journalArgs(name: string, lines: number): string[] {
  return ['--unit', name, '--lines', String(lines), '--no-pager', '--output', 'cat', '--quiet'];
}

/** The last `lines` lines the unit logged (its processes' output and systemd's messages about it). */
export async function readJournal(name: string, lines: number): Promise<string[]> {
  try {
    const { stdout } = await run('journalctl', journalArgs(name, lines), { maxBuffer: 64 << 20 });
    const all = stdout.split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`journal of ${name}: journalctl failed: ${(e.stderr || e.message).trim()}`, { cause: error });
  }
}

/** The last `lines` lines, then each new one as the unit logs it (`journalctl -f`), until `signal` aborts. */
export async function* followJournal(name: string, lines: number, signal: AbortSignal): AsyncGenerator<string> {
  if (signal.aborted) return;
  const child = spawn('journalctl', [...journalArgs(name, lines), '--follow'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const stop = () => child.kill('SIGTERM');
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const line of createInterface({ input: child.stdout })) yield line;
  } finally {
    signal.removeEventListener('abort', stop);
    stop();
  }
}
