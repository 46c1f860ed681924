import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigValueError, type Field } from './fields.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a field of any value type
export type Fields = Record<string, Field<any>>;

/** The typed configuration a schema produces: `{ heartbeatInterval: number, ... }`. */
export type ConfigOf<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

export type ValueSource = 'flag' | 'env' | 'file' | 'default';

export interface ConfigSchema<F extends Fields> {
  /** The command, e.g. `kvd`. */
  program: string;
  /** One paragraph for --help. */
  summary: string;
  /** Environment variables are PREFIX_FIELD_NAME, e.g. `KVD_HEARTBEAT_INTERVAL`. */
  envPrefix: string;
  fields: F;
}

export type ParseOutcome<F extends Fields> =
  | { kind: 'config'; config: ConfigOf<F>; sources: Record<keyof F, ValueSource> }
  | { kind: 'help'; text: string };

export interface ConfigDefinition<F extends Fields> extends ConfigSchema<F> {
  /** Reads flags, then environment, then `--config-file` (JSON), then defaults, in that order of precedence. */
  parse(argv: readonly string[], env?: NodeJS.ProcessEnv): ParseOutcome<F>;
  help(): string;
}

/** A configuration problem a person can fix; the message names the flag, variable or file field. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'MC_ERR_CONFIG';
}

const CONFIG_FILE = 'config-file';

export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

function envName(prefix: string, name: string): string {
  return `${prefix}_${kebabCase(name).replaceAll('-', '_').toUpperCase()}`;
}

export function defineConfig<F extends Fields>(schema: ConfigSchema<F>): ConfigDefinition<F> {
  const names = Object.keys(schema.fields) as (keyof F & string)[];
  const byFlag = new Map(names.map((name) => [kebabCase(name), name]));

  function readValue(field: Field<unknown>, read: () => unknown, where: string, raw: string): unknown {
    try {
      return read();
    } catch (error) {
      if (error instanceof ConfigValueError) throw new ConfigError(`invalid ${where} ${raw}: expected ${field.expected}`);
      throw error;
    }
  }

  function parseFlags(argv: readonly string[]): { values: Record<string, string | boolean | undefined>; help: boolean } {
    const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
      help: { type: 'boolean', short: 'h' },
      [CONFIG_FILE]: { type: 'string' },
    };
    for (const [flag, name] of byFlag) options[flag] = { type: schema.fields[name]?.isSwitch ? 'boolean' : 'string' };
    try {
      const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false, allowNegative: true });
      return { values, help: values['help'] === true };
    } catch (error) {
      throw new ConfigError(explainArgvError(error, [...byFlag.keys(), CONFIG_FILE]));
    }
  }

  function readConfigFile(file: string): Record<string, unknown> {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must hold a JSON object of settings`);
    const settings: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(parsed)) {
      const name = byFlag.get(key) ?? byFlag.get(kebabCase(key));
      if (!name) throw new ConfigError(`config file ${file}: unknown setting "${key}"${suggest(kebabCase(key), [...byFlag.keys()])}`);
      settings[name] = value;
    }
    return settings;
  }

  function parse(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParseOutcome<F> {
    const flags = parseFlags(argv);
    if (flags.help) return { kind: 'help', text: help() };
    const file = (flags.values[CONFIG_FILE] as string | undefined) ?? env[envName(schema.envPrefix, 'configFile')];
    const fromFile = file ? readConfigFile(file) : {};

    const config = {} as Record<string, unknown>;
    const sources = {} as Record<string, ValueSource>;
    for (const name of names) {
      const field = schema.fields[name]!;
      const flag = kebabCase(name);
      const variable = envName(schema.envPrefix, name);
      const flagValue = flags.values[flag];
      if (flagValue !== undefined) {
        config[name] = typeof flagValue === 'boolean' ? flagValue : readValue(field, () => field.fromText(flagValue), `--${flag}`, JSON.stringify(flagValue));
        sources[name] = 'flag';
      } else if (env[variable] !== undefined) {
        const text = env[variable];
        config[name] = readValue(field, () => field.fromText(text), `environment variable ${variable}=`, JSON.stringify(text));
        sources[name] = 'env';
      } else if (name in fromFile) {
        config[name] = readValue(field, () => field.fromJson(fromFile[name]), `config file ${file} setting "${flag}":`, JSON.stringify(fromFile[name]));
        sources[name] = 'file';
      } else if (field.default !== undefined) {
        config[name] = field.default;
        sources[name] = 'default';
      } else {
        throw new ConfigError(`missing --${flag} (or ${variable}): ${field.description}`);
      }
    }
    return { kind: 'config', config: config as ConfigOf<F>, sources: sources as Record<keyof F, ValueSource> };
  }

  function help(): string {
    const rows: [string, string][] = names.map((name) => {
      const field = schema.fields[name]!;
      const flag = `--${kebabCase(name)}${field.placeholder ? ` ${field.placeholder}` : ''}`;
      const shown = field.default === undefined ? 'required' : `default: ${JSON.stringify(field.default)}`;
      return [flag, `${field.description} (${shown}; env ${envName(schema.envPrefix, name)})`];
    });
    rows.push([`--${CONFIG_FILE} <path>`, `Read settings from a JSON file; flags and environment win over it (env ${envName(schema.envPrefix, 'configFile')})`]);
    rows.push(['-h, --help', 'Show this help']);
    const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
    const lines = rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`);
    return [`Usage: ${schema.program} [options]`, '', schema.summary, '', 'Options:', ...lines, ''].join('\n');
  }

  return { ...schema, parse, help };
}

function explainArgvError(error: unknown, flags: string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message);
  if (unknown?.[1]) return `unknown option ${unknown[1]}${suggest(unknown[1].replace(/^-+/, ''), flags)}`;
  const missing = /Option '(--[^ ]+)[^']*' argument missing/.exec(message);
  if (missing?.[1]) return `option ${missing[1]} needs a value`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional?.[1]) return `unexpected argument "${positional[1]}": options are written --name value`;
  return message;
}

/** "; did you mean --heartbeat-interval?" when one known flag shares the unknown one's start. */
function suggest(unknown: string, known: string[]): string {
  const close = known.filter((flag) => flag.startsWith(unknown) || unknown.startsWith(flag) || flag.includes(unknown));
  return close.length === 1 ? `; did you mean --${close[0]}?` : '';
}

/**
 * For a daemon's main(): the parsed config, or --help printed and exit 0, or the error printed
 * with a pointer to --help and exit 2 (a usage error, as the CLIs exit).
 */
export function loadConfigOrExit<F extends Fields>(definition: ConfigDefinition<F>, argv = process.argv.slice(2)): ConfigOf<F> {
  try {
    const outcome = definition.parse(argv);
    if (outcome.kind === 'help') {
      process.stdout.write(outcome.text);
      process.exit(0);
    }
    return outcome.config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${definition.program}: ${error.message}\nRun '${definition.program} --help' for the options.\n`);
    process.exit(2);
  }
}
