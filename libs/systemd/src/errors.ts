/**
 * A failed systemd call or job. The message names the unit and systemd's own reason (the D-Bus
 * error text, or the job result), so a log line or API error is enough to see what went wrong.
 */
export class SystemdError extends Error {
  override name = 'SystemdError';
  readonly code = 'MC_ERR_SYSTEMD';
  constructor(
    message: string,
    /** The D-Bus error name when systemd answered one (e.g. org.freedesktop.systemd1.NoSuchUnit). */
    readonly dbusName?: string,
    /** The job result when a job ended other than `done`. */
    readonly jobResult?: JobResult,
  ) {
    super(message);
  }
}

/** How a job ended (JobRemoved's result argument). */
export type JobResult = 'done' | 'canceled' | 'timeout' | 'failed' | 'dependency' | 'skipped' | 'invalid' | 'assert' | 'unsupported' | 'collected' | 'once' | (string & {});

/** The D-Bus error name and text of a rejected call, whatever dbus-next threw. */
export function dbusErrorParts(error: unknown): { name: string | undefined; text: string } {
  const e = error as { type?: unknown; text?: unknown; message?: unknown };
  const name = typeof e?.type === 'string' ? e.type : undefined;
  const text = typeof e?.text === 'string' && e.text ? e.text : typeof e?.message === 'string' ? e.message : String(error);
  return { name, text };
}
