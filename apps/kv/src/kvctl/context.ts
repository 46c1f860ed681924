import { globals, UsageError, type Command, type Streams } from '@minicore/cli';
import { KvClient, KvClientError, type FetchFunction } from '@minicore/kv-client';
import { describeError, parseDuration, type OutputFormat } from './output-format.js';

/** What one kvctl run shares between its commands: streams, the exit code, and how to reach kv. */
export interface KvctlRun {
  streams: Streams;
  /** Set by a command whose outcome is not plain success (an etcd error, a child's exit code). */
  exitCode: number;
  /** Tests may inject a fetch; the CLI uses the global one. */
  fetch?: FetchFunction;
  /** Where SIGINT/SIGTERM come from; tests may pass their own emitter. */
  signals: NodeJS.EventEmitter;
}

export interface CommandContext {
  client: KvClient;
  output: OutputFormat;
  run: KvctlRun;
}

export function commandContext(command: Command, run: KvctlRun): CommandContext {
  const { endpoints, output } = globals<OutputFormat>(command);
  const rawTimeout = command.optsWithGlobals<{ timeout?: string }>().timeout ?? '2s';
  const timeoutMs = parseDuration(rawTimeout);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout "${rawTimeout}" is not a duration such as 2s or 500ms`);
  return { client: new KvClient({ endpoints, timeoutMs, ...(run.fetch ? { fetch: run.fetch } : {}) }), output, run };
}

/**
 * Wraps an action so that kv failures print the way etcdctl prints them (`Error:  100: Key not
 * found (/foo) [12]`) and exit 1; usage errors still reach runCli, which exits 2.
 */
export function action<Args extends unknown[]>(run: KvctlRun, body: (context: CommandContext, ...args: Args) => Promise<void>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const context = commandContext(command, run);
    try {
      await body(context, ...(args.slice(0, -1) as Args));
    } catch (error) {
      if (!(error instanceof KvClientError)) throw error;
      run.streams.stderr(`Error:  ${describeError(error)}\n`);
      run.exitCode = 1;
    }
  };
}

/** Parses a non-negative integer option (`--ttl`, `--after-index`), as a usage error when it is not one. */
export function integer(name: string): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text)) throw new UsageError(`${name} must be a non-negative integer, got "${text}"`);
    return Number(text);
  };
}

/** Calls `onSignal` on the first SIGINT or SIGTERM; returns the function that stops listening. */
export function onTermination(run: KvctlRun, onSignal: (signal: NodeJS.Signals) => void): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) run.signals.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) run.signals.off(signal, handler);
  };
}

/** The shell's convention for "ended by a signal". */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1;
}
