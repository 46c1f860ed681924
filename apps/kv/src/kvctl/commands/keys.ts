import type { Command } from '@minicore/cli';
import type { KvResponse } from '@minicore/kv-client';
import { action, integer, type CommandContext, type KvctlRun } from '../context.js';
import { formatListing, formatResponse } from '../output-format.js';

interface TtlFlag {
  ttl?: number;
}

/** Prints a response unless it is a directory in simple format (etcdctl prints nothing for those). */
function printUnlessSimpleDir({ output, run }: CommandContext, response: KvResponse): void {
  if (!response.node.dir || output !== 'simple') run.streams.stdout(formatResponse(response, output));
}

function ttlOption(command: Command): Command {
  return command.option('--ttl <seconds>', 'key time-to-live in seconds', integer('--ttl'));
}

/** The etcdctl v2 key commands: get, ls, set, mk, mkdir, setdir, update, updatedir, rm, rmdir. */
export function registerKeyCommands(program: Command, run: KvctlRun): void {
  program
    .command('get <key>')
    .description('retrieve the value of a key')
    .option('--sort', 'returns result in sorted order')
    .option('-q, --quorum', 'require quorum for get request')
    .action(
      action(run, async (context, key: string, flags: { sort?: boolean; quorum?: boolean }) => {
        const response = await context.client.get(key, { sorted: flags.sort ?? false, quorum: flags.quorum ?? false });
        if (response.node.dir) {
          run.streams.stderr(`${response.node.key}: is a directory\n`);
          run.exitCode = 1;
          return;
        }
        run.streams.stdout(formatResponse(response, context.output));
      }),
    );

  program
    .command('ls [key]')
    .description('retrieve a directory')
    .option('--sort', 'returns result in sorted order')
    .option('-r, --recursive', 'returns all key names recursively for the given path')
    .option('-p', 'append slash (/) to directories')
    .option('-q, --quorum', 'require quorum for get request')
    .action(
      action(run, async (context, key: string | undefined, flags: { sort?: boolean; recursive?: boolean; p?: boolean; quorum?: boolean }) => {
        const response = await context.client.get(key ?? '/', { sorted: flags.sort ?? false, recursive: flags.recursive ?? false, quorum: flags.quorum ?? false });
        run.streams.stdout(formatListing(response, context.output, { recursive: flags.recursive ?? false, slashDirs: flags.p ?? false }));
      }),
    );

  ttlOption(program.command('set <key> <value>'))
    .description('set the value of a key')
    .option('--swap-with-value <value>', 'previous value')
    .option('--swap-with-index <index>', 'previous index', integer('--swap-with-index'))
    .action(
      action(run, async (context, key: string, value: string, flags: TtlFlag & { swapWithValue?: string; swapWithIndex?: number }) => {
        const response = await context.client.set(key, value, {
          ...(flags.ttl ? { ttl: flags.ttl } : {}),
          ...(flags.swapWithValue === undefined ? {} : { prevValue: flags.swapWithValue }),
          ...(flags.swapWithIndex ? { prevIndex: flags.swapWithIndex } : {}),
        });
        run.streams.stdout(formatResponse(response, context.output));
      }),
    );

  ttlOption(program.command('mk <key> <value>'))
    .description('make a new key with a given value')
    .option('--in-order', 'create in-order key under directory <key>')
    .action(
      action(run, async (context, key: string, value: string, flags: TtlFlag & { inOrder?: boolean }) => {
        const ttl = flags.ttl ? { ttl: flags.ttl } : {};
        const response = flags.inOrder ? await context.client.createInOrder(key, value, ttl) : await context.client.create(key, value, ttl);
        run.streams.stdout(formatResponse(response, context.output));
      }),
    );

  ttlOption(program.command('update <key> <value>'))
    .description('update an existing key with a given value')
    .action(
      action(run, async (context, key: string, value: string, flags: TtlFlag) => {
        run.streams.stdout(formatResponse(await context.client.update(key, value, flags.ttl ? { ttl: flags.ttl } : {}), context.output));
      }),
    );

  const directoryCommands = [
    ['mkdir', 'make a new directory', (context: CommandContext, key: string, ttl: TtlFlag) => context.client.mkdir(key, ttl)],
    ['setdir', 'create a new directory or update an existing directory TTL', (context: CommandContext, key: string, ttl: TtlFlag) => context.client.setDir(key, ttl)],
    ['updatedir', 'update an existing directory', (context: CommandContext, key: string, ttl: TtlFlag) => context.client.updateDir(key, ttl)],
  ] as const;
  for (const [name, description, send] of directoryCommands) {
    ttlOption(program.command(`${name} <key>`))
      .description(description)
      .action(
        action(run, async (context, key: string, flags: TtlFlag) => {
          const response = await send(context, key, flags.ttl ? { ttl: flags.ttl } : {});
          if (context.output !== 'simple') run.streams.stdout(formatResponse(response, context.output));
        }),
      );
  }

  program
    .command('rm <key>')
    .description('remove a key or a directory')
    .option('--dir', 'removes the key if it is an empty directory or a key-value pair')
    .option('-r, --recursive', 'removes the key and all child keys (if it is a directory)')
    .option('--with-value <value>', 'previous value')
    .option('--with-index <index>', 'previous index', integer('--with-index'))
    .action(
      action(run, async (context, key: string, flags: { dir?: boolean; recursive?: boolean; withValue?: string; withIndex?: number }) => {
        const response = await context.client.delete(key, {
          dir: flags.dir ?? false,
          recursive: flags.recursive ?? false,
          ...(flags.withValue === undefined ? {} : { prevValue: flags.withValue }),
          ...(flags.withIndex ? { prevIndex: flags.withIndex } : {}),
        });
        printUnlessSimpleDir(context, response);
      }),
    );

  program
    .command('rmdir <key>')
    .description('removes the key if it is an empty directory or a key-value pair')
    .action(
      action(run, async (context, key: string) => {
        printUnlessSimpleDir(context, await context.client.delete(key, { dir: true }));
      }),
    );
}
