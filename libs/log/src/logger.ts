import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  /** The daemon or tool writing the log, e.g. `kvd`; every line carries it as `name`. */
  name: string;
  /** Minimum level; defaults to MINICORE_LOG_LEVEL, then `info`. */
  level?: LogLevel;
  /** Fields added to every line, e.g. `{ member: 'core-1' }`. */
  base?: Record<string, unknown>;
  /** Where lines go; stdout when absent. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

const levels: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function levelFromEnvironment(): LogLevel {
  const fromEnv = process.env['MINICORE_LOG_LEVEL'];
  return levels.find((level) => level === fromEnv) ?? 'info';
}

/**
 * One structured (JSON lines) logger per process. Every Minicore daemon logs through this so that
 * lines share the same shape: `level`, `time` (ISO), `name`, `pid`, `hostname` and `msg`.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? levelFromEnvironment(),
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
