import { UpdateStatus, type UpdateStatusName } from '@minicore/omaha';

export { UpdateStatus, type UpdateStatusName };

/** update_engine's status as GetStatus returns it, with the 64-bit fields as numbers. */
export interface UpdateEngineStatus {
  /** Unix seconds of the last successful update check, 0 if none. */
  lastCheckedTime: number;
  /** 0..1 while downloading. */
  progress: number;
  currentOperation: UpdateStatusName;
  /** "0.0.0" when there is none (update_engine's kVersionZero). */
  newVersion: string;
  /** Payload bytes, 0 when there is no update. */
  newSize: number;
}

/** The body as it travels: `xdssx`, 64-bit integers as bigint (dbus-next's native mapping). */
export type StatusWire = [bigint, number, string, string, bigint];

export const idleStatus: UpdateEngineStatus = { lastCheckedTime: 0, progress: 0, currentOperation: UpdateStatus.Idle, newVersion: '0.0.0', newSize: 0 };

const statusNames = new Set<string>(Object.values(UpdateStatus));

export function isUpdateStatusName(value: unknown): value is UpdateStatusName {
  return typeof value === 'string' && statusNames.has(value);
}

export function statusToWire(status: UpdateEngineStatus): StatusWire {
  return [BigInt(Math.trunc(status.lastCheckedTime)), status.progress, status.currentOperation, status.newVersion, BigInt(Math.trunc(status.newSize))];
}

/**
 * Reads a GetStatus reply or a StatusUpdate body. Like locksmith, a body with fewer than five
 * fields or the wrong types is not a status: undefined, for the caller to ignore.
 */
export function statusFromWire(body: readonly unknown[]): UpdateEngineStatus | undefined {
  if (body.length < 5) return undefined;
  const [lastChecked, progress, operation, newVersion, newSize] = body;
  if (typeof lastChecked !== 'bigint' || typeof progress !== 'number' || !isUpdateStatusName(operation) || typeof newVersion !== 'string' || typeof newSize !== 'bigint') return undefined;
  return { lastCheckedTime: Number(lastChecked), progress, currentOperation: operation, newVersion, newSize: Number(newSize) };
}

/** update_engine_client -status: `LAST_CHECKED_TIME=…`, `PROGRESS=%f`, `CURRENT_OP=…`, `NEW_VERSION=…`, `NEW_SIZE=…`. */
export function formatStatusLines(status: UpdateEngineStatus): string {
  return [
    `LAST_CHECKED_TIME=${status.lastCheckedTime}`,
    `PROGRESS=${status.progress.toFixed(6)}`,
    `CURRENT_OP=${status.currentOperation}`,
    `NEW_VERSION=${status.newVersion}`,
    `NEW_SIZE=${status.newSize}`,
  ].join('\n');
}
