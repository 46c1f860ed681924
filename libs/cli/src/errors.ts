/** Exit codes every Minicore CLI uses. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The operation was understood but failed (key not found, compare failed, cluster unreachable): exit 1. */
export class OperationError extends Error {
  override name = 'OperationError';
  readonly exitCode: ExitCode = ExitCode.failed;
  /** Optional machine-readable payload printed with --output json (e.g. etcd's error body). */
  constructor(message: string, readonly details?: unknown, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The command line itself is wrong (bad flag value, missing argument): exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode: ExitCode = ExitCode.usage;
}
