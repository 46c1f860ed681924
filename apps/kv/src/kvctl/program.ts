import { createCli, Option, runCli, type Command, type Streams } from '@minicore/cli';
import type { FetchFunction } from '@minicore/kv-client';
import { registerElectCommand } from './commands/elect.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerLockCommand } from './commands/lock.js';
import { registerMemberCommands } from './commands/member.js';
import { registerWatchCommands } from './commands/watch.js';
import type { KvctlRun } from './context.js';
import { outputFormats } from './output-format.js';

export const kvctlVersion = '0.1.0';

export interface KvctlOptions {
  streams?: Streams;
  fetch?: FetchFunction;
  signals?: NodeJS.EventEmitter;
}

const processStreams: Streams = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** kvctl: etcdctl's v2 command set (ETCDCTL_API=2) against kvd or etcd, plus `lock` and `elect`. */
export function createKvctl(options: KvctlOptions = {}): { program: Command; run: KvctlRun } {
  const run: KvctlRun = { streams: options.streams ?? processStreams, exitCode: 0, signals: options.signals ?? process, ...(options.fetch ? { fetch: options.fetch } : {}) };
  const program = createCli(
    {
      name: 'kvctl',
      description: 'A command line client for kvd and etcd (the etcd v2 keys API, like etcdctl with ETCDCTL_API=2)',
      version: kvctlVersion,
      endpoint: {
        flag: 'endpoints',
        env: 'KVCTL_ENDPOINTS',
        default: 'http://127.0.0.1:2379,http://127.0.0.1:4001',
        description: 'a comma-delimited list of machine addresses in the cluster',
      },
      outputs: outputFormats,
    },
    run.streams,
  ).addOption(new Option('--timeout <duration>', 'connection timeout per request (a watch: until its headers)').default('2s'));
  registerKeyCommands(program, run);
  registerWatchCommands(program, run);
  registerMemberCommands(program, run);
  registerLockCommand(program, run);
  registerElectCommand(program, run);
  return { program, run };
}

/** Runs kvctl and returns the exit code: runCli's (0, or 2 for usage), else the one a command set. */
export async function runKvctl(argv: readonly string[], options: KvctlOptions = {}): Promise<number> {
  const { program, run } = createKvctl(options);
  const code = await runCli(program, argv, run.streams);
  return code !== 0 ? code : run.exitCode;
}
