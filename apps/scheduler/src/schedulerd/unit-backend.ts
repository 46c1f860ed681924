import { existsSync } from 'node:fs';
import type { Logger } from '@minicore/log';
import { SystemdManager } from '@minicore/systemd';
import type { UnitBackend } from '../agent/backend.js';
import { ExecBackend } from '../agent/exec-backend.js';
import { SystemdBackend } from '../agent/systemd-backend.js';

export const unitBackendChoices = ['auto', 'systemd', 'exec'] as const;
export type UnitBackendChoice = (typeof unitBackendChoices)[number];

/** sd_booted(3): systemd creates this folder only when it runs as PID 1 (init) of this machine. */
export const systemdBootedMarker = '/run/systemd/system';

/**
 * `auto`: systemd when it is this machine's init and its system bus answers (what fleet required),
 * else exec. An explicit `systemd` that cannot reach systemd fails schedulerd's start instead.
 */
export async function chooseUnitBackend(choice: UnitBackendChoice, logger: Logger): Promise<'systemd' | 'exec'> {
  if (choice !== 'auto') return choice;
  if (!existsSync(systemdBootedMarker)) {
    logger.info({ backend: 'exec' }, `unit backend: exec (${systemdBootedMarker} is missing: systemd is not this machine's init)`);
    return 'exec';
  }
  try {
    const probe = await SystemdManager.connect({ timeoutMs: 2000 });
    probe.close();
  } catch (error) {
    logger.warn({ err: error, backend: 'exec' }, 'unit backend: exec (systemd runs, but its manager does not answer on the system bus)');
    return 'exec';
  }
  return 'systemd';
}

/** The backend, not yet initialised. */
export async function createUnitBackend(choice: UnitBackendChoice, options: { dataDir: string; logger: Logger }): Promise<UnitBackend> {
  const kind = await chooseUnitBackend(choice, options.logger);
  return kind === 'systemd' ? new SystemdBackend({ logger: options.logger }) : new ExecBackend({ dataDir: options.dataDir, logger: options.logger });
}
