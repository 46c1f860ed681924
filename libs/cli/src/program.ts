import { Command, CommanderError, Option } from 'commander';
import { ExitCode, OperationError, UsageError } from './errors.js';
import { formatJson } from './output.js';

export interface CliOptions<Output extends string> {
  /** The command, e.g. `kvctl`. */
  name: string;
  description: string;
  version: string;
  /** The flag naming the server(s): etcdctl says --endpoints, fleetctl --endpoint. */
  endpoint: { flag: 'endpoints' | 'endpoint'; env: string; default: string; description: string };
  /** Output formats, the first one the default (e.g. `['table', 'json']`, kvctl: `['simple', 'json', 'extended']`). */
  outputs: readonly [Output, ...Output[]];
}

/** The global options every subcommand sees through `globals(command)`. */
export interface GlobalOptions<Output extends string> {
  endpoints: string[];
  output: Output;
}

export interface Streams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processStreams: Streams = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * The common frame of the *ctl tools: `--endpoint(s)` (flag, then env, then default), `--output`,
 * `--help` and `--version`, and commander's own usage errors routed to exit code 2.
 */
export function createCli<Output extends string>(options: CliOptions<Output>, streams: Streams = processStreams): Command {
  const program = new Command(options.name)
    .description(options.description)
    .version(options.version, '-v, --version')
    .addOption(new Option(`--${options.endpoint.flag} <urls>`, options.endpoint.description).env(options.endpoint.env).default(options.endpoint.default))
    .addOption(new Option('-o, --output <format>', 'output format').choices(options.outputs).default(options.outputs[0]))
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: streams.stdout, writeErr: streams.stderr })
    .exitOverride();
  program.hook('preSubcommand', (_parent, sub) => {
    sub.exitOverride().configureOutput({ writeOut: streams.stdout, writeErr: streams.stderr }).showSuggestionAfterError(true);
  });
  return program;
}

/** Reads the global options from inside any subcommand's action. */
export function globals<Output extends string>(command: Command): GlobalOptions<Output> {
  const all = command.optsWithGlobals<Record<string, string>>();
  const raw = all['endpoints'] ?? all['endpoint'] ?? '';
  const endpoints = raw.split(',').map((url) => url.trim().replace(/\/$/, '')).filter(Boolean);
  if (endpoints.length === 0) throw new UsageError('no endpoint given: pass --endpoints URL[,URL...]');
  for (const url of endpoints) {
    if (!URL.canParse(url) && !url.startsWith('unix://')) throw new UsageError(`"${url}" is not an endpoint URL such as http://127.0.0.1:2379`);
  }
  return { endpoints, output: all['output'] as Output };
}

/**
 * Runs the CLI and returns its exit code instead of exiting, so tests can drive it in-process:
 * 0 ok, 1 the operation failed, 2 the command line was wrong. Errors go to stderr as one line
 * `NAME: message`, or as a JSON document when --output json was asked for.
 */
export async function runCli(program: Command, argv: readonly string[], streams: Streams = processStreams): Promise<ExitCode> {
  const wantsJson = argv.some((arg, i) => arg === '--output=json' || arg === '-o=json' || ((arg === '--output' || arg === '-o') && argv[i + 1] === 'json'));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (unknown option, missing argument) or the help.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const exitCode = error instanceof UsageError || error instanceof OperationError ? error.exitCode : ExitCode.failed;
    const message = error instanceof Error ? error.message : String(error);
    if (wantsJson) {
      const details = error instanceof OperationError ? error.details : undefined;
      streams.stderr(formatJson({ error: { message, ...(details === undefined ? {} : { details }) } }));
    } else {
      streams.stderr(`${program.name()}: ${message}\n`);
      if (exitCode === ExitCode.usage) streams.stderr(`Run '${program.name()} --help' for usage.\n`);
    }
    return exitCode;
  }
}
