import type { Command } from '@minicore/cli';
import type { KvResponse, KvWatchItem } from '@minicore/kv-client';
import { startChild } from '../child-process.js';
import { action, integer, onTermination, type CommandContext, type KvctlRun } from '../context.js';
import { formatResponse, watchEnvironment } from '../output-format.js';

interface WatchFlags {
  forever?: boolean;
  afterIndex?: number;
  recursive?: boolean;
}

/** A watch that runs until SIGINT/SIGTERM: the abort signal, and a cleanup that stops listening. */
function untilInterrupted(run: KvctlRun): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const dispose = onTermination(run, () => controller.abort());
  return { signal: controller.signal, dispose };
}

function reportGap(run: KvctlRun, item: Extract<KvWatchItem, { kind: 'resync' }>): void {
  run.streams.stderr(`kvctl: events from index ${item.missedFrom ?? '?'} were cleared from the history (${item.cause.toString()}); resuming after index ${item.resumeAfter}\n`);
}

function printEvent({ output, run }: CommandContext, response: KvResponse, recursive: boolean): void {
  if (recursive) run.streams.stdout(`[${response.action}] ${response.node.key}\n`);
  run.streams.stdout(formatResponse(response, output));
}

export function registerWatchCommands(program: Command, run: KvctlRun): void {
  program
    .command('watch <key>')
    .description('watch a key for changes')
    .option('-f, --forever', 'forever watch a key until CTRL+C')
    .option('--after-index <index>', 'watch after the given index', integer('--after-index'))
    .option('-r, --recursive', 'returns all values for key and child keys')
    .action(
      action(run, async (context, key: string, flags: WatchFlags) => {
        const recursive = flags.recursive ?? false;
        const interrupt = untilInterrupted(run);
        try {
          const afterIndex = flags.afterIndex ? flags.afterIndex : undefined;
          for await (const item of context.client.watchForever(key, { recursive, afterIndex, signal: interrupt.signal })) {
            if (item.kind === 'resync') {
              reportGap(run, item);
              continue;
            }
            printEvent(context, item.response, recursive);
            if (!flags.forever) break;
          }
        } finally {
          interrupt.dispose();
        }
      }),
    );

  program
    .command('exec-watch <key> <command...>')
    .usage('[options] <key> -- <command> [args...]')
    .description('watch a key for changes and exec an executable (ETCD_WATCH_ACTION, _KEY, _VALUE, _MODIFIED_INDEX in its environment)')
    .option('--after-index <index>', 'watch after the given index', integer('--after-index'))
    .option('-r, --recursive', 'watch all values for key and child keys')
    .action(
      action(run, async (context, key: string, commandLine: string[], flags: WatchFlags) => {
        const [command, ...args] = commandLine as [string, ...string[]];
        const interrupt = untilInterrupted(run);
        try {
          const afterIndex = flags.afterIndex ? flags.afterIndex : undefined;
          for await (const item of context.client.watchForever(key, { recursive: flags.recursive ?? false, afterIndex, signal: interrupt.signal })) {
            if (item.kind === 'resync') {
              reportGap(run, item);
              continue;
            }
            // One command at a time, in event order (etcdctl starts them without waiting).
            await startChild(command, args, watchEnvironment(item.response)).done;
          }
        } finally {
          interrupt.dispose();
        }
      }),
    );
}
