import { hostname } from 'node:os';
import type { Command } from '@minicore/cli';
import { acquireMutex, minicoreKeys } from '@minicore/kv-client';
import { startChild } from '../child-process.js';
import { action, integer, onTermination, signalExitCode, type KvctlRun } from '../context.js';

export function registerLockCommand(program: Command, run: KvctlRun): void {
  program
    .command('lock <name> <command...>')
    .usage('[options] <name> -- <command> [args...]')
    .description(`run a command while holding a cluster-wide mutex (in-order keys under ${minicoreKeys.lock('NAME')}); exits with the command's code`)
    .option('--ttl <seconds>', 'seconds a crashed holder keeps the lock', integer('--ttl'), 10)
    .action(
      action(run, async ({ client }, name: string, commandLine: string[], flags: { ttl: number }) => {
        const [command, ...args] = commandLine as [string, ...string[]];
        const waiting = new AbortController();
        let interruptedBy: NodeJS.Signals | undefined;
        let child: ReturnType<typeof startChild> | undefined;
        const stopListening = onTermination(run, (signal) => {
          interruptedBy ??= signal;
          if (child) child.kill(signal);
          else waiting.abort();
        });
        try {
          let hold;
          try {
            hold = await acquireMutex(client, minicoreKeys.lock(name), { ttl: Math.max(1, flags.ttl), value: `${hostname()}:${process.pid}`, signal: waiting.signal });
          } catch (error) {
            if (!waiting.signal.aborted) throw error;
            run.exitCode = signalExitCode(interruptedBy ?? 'SIGINT');
            return;
          }
          try {
            child = startChild(command, args);
            const outcome = await Promise.race([child.done, hold.lost.then((lost) => ({ lost }))]);
            if ('lost' in outcome) {
              run.streams.stderr(`Error:  ${outcome.lost.message}; stopping ${command}\n`);
              child.kill('SIGTERM');
              await child.done;
              run.exitCode = 1;
              return;
            }
            run.exitCode = outcome.exitCode;
          } finally {
            await hold.release();
          }
        } finally {
          stopListening();
        }
      }),
    );
}
