import { describe, expect, it } from 'vitest';
import { formatStatusLines, idleStatus, statusFromWire, statusToWire, UpdateStatus } from './status.js';

describe('the status body (xdssx)', () => {
  it('round-trips with the 64-bit fields as bigint on the wire', () => {
    const status = { lastCheckedTime: 1_764_000_000, progress: 0.5, currentOperation: UpdateStatus.Downloading, newVersion: '2.0.0', newSize: 2 ** 40 };
    const wire = statusToWire(status);
    expect(wire).toEqual([1_764_000_000n, 0.5, 'UPDATE_STATUS_DOWNLOADING', '2.0.0', 2n ** 40n]);
    expect(statusFromWire(wire)).toEqual(status);
  });

  it('ignores bodies that are not a status, as locksmith does', () => {
    expect(statusFromWire([0n, 0, 'UPDATE_STATUS_IDLE', '0.0.0'])).toBeUndefined();
    expect(statusFromWire([0, 0, 'UPDATE_STATUS_IDLE', '0.0.0', 0n])).toBeUndefined();
    expect(statusFromWire([0n, 0, 'UPDATE_STATUS_NAPPING', '0.0.0', 0n])).toBeUndefined();
  });

  it('prints update_engine_client -status lines', () => {
    expect(formatStatusLines(idleStatus)).toBe('LAST_CHECKED_TIME=0\nPROGRESS=0.000000\nCURRENT_OP=UPDATE_STATUS_IDLE\nNEW_VERSION=0.0.0\nNEW_SIZE=0');
  });
});
