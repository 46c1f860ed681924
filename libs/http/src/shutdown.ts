import closeWithGrace from 'close-with-grace';
import type { Logger } from '@minicore/log';

export interface ShutdownOptions {
  logger: Logger;
  /** Longest wait for in-flight work before the process exits anyway (ms). */
  graceMs?: number;
  /** Closes everything the daemon runs (servers, stores, timers), in order. */
  close: (signal: string | undefined) => Promise<void>;
}

/**
 * On SIGTERM or SIGINT, run `close` once (fastify's close finishes in-flight requests and answers
 * new ones with 503), then exit 0; a second signal or an overrun of the grace period exits at once.
 * An uncaught error is logged and also closes the daemon, exiting 1.
 */
export function exitOnSignals(options: ShutdownOptions): { uninstall: () => void } {
  const handle = closeWithGrace({ delay: options.graceMs ?? 10_000, logger: false }, async ({ signal, err }) => {
    if (err) options.logger.fatal({ err }, 'uncaught error; shutting down');
    else options.logger.info({ signal }, 'shutting down');
    await options.close(signal);
    options.logger.info('stopped');
    options.logger.flush();
  });
  return { uninstall: () => handle.uninstall() };
}
