import { UsageError, type Command } from '@minicore/cli';
import { campaign, minicoreKeys, observeLeader, type KvClient } from '@minicore/kv-client';
import { action, integer, onTermination, type KvctlRun } from '../context.js';

/** Prints the leader's value each time it changes, until the signal aborts. */
async function printLeaders(client: KvClient, key: string, run: KvctlRun, signal: AbortSignal): Promise<void> {
  for await (const leader of observeLeader(client, key, { signal })) {
    if (leader !== undefined) run.streams.stdout(`${leader}\n`);
  }
}

export function registerElectCommand(program: Command, run: KvctlRun): void {
  program
    .command('elect <name> [value]')
    .description(`campaign to lead NAME with VALUE (key ${minicoreKeys.election('NAME')}) and print the leader until interrupted; --listen only prints leader changes`)
    .option('--ttl <seconds>', 'seconds a crashed leader keeps leadership', integer('--ttl'), 10)
    .option('-l, --listen', 'do not campaign: print the leader and every change of leader')
    .action(
      action(run, async ({ client }, name: string, value: string | undefined, flags: { ttl: number; listen?: boolean }) => {
        if (!flags.listen && value === undefined) throw new UsageError('elect needs a VALUE to campaign with, or --listen');
        const key = minicoreKeys.election(name);
        const interrupted = new AbortController();
        const stopListening = onTermination(run, () => interrupted.abort());
        const observer = printLeaders(client, key, run, interrupted.signal);
        try {
          if (flags.listen) return await observer;
          let leadership;
          try {
            leadership = await campaign(client, key, value as string, { ttl: Math.max(1, flags.ttl), signal: interrupted.signal });
          } catch (error) {
            if (interrupted.signal.aborted) return;
            throw error;
          }
          const aborted = new Promise<'interrupted'>((resolve) => interrupted.signal.addEventListener('abort', () => resolve('interrupted'), { once: true }));
          const outcome = await Promise.race([aborted, leadership.lost]);
          if (outcome === 'interrupted') {
            await leadership.resign();
            return;
          }
          run.streams.stderr(`Error:  ${outcome.message}\n`);
          run.exitCode = 1;
        } finally {
          interrupted.abort();
          stopListening();
          await observer.catch(() => undefined);
        }
      }),
    );
}
