import { describe, expect, it } from 'vitest';
import { describeDiskFull } from './disk-full.js';
import type { RecordedOperation } from './history.js';

function op(machine: string, call: number, kind: 'read' | 'write', outcome: RecordedOperation['outcome'], reason?: string): RecordedOperation {
  const input = kind === 'read' ? { op: 'read' as const, key: 'k' } : { op: 'write' as const, key: 'k', value: 'v' };
  return { clientId: 1, input, call, return: outcome === 'unknown' ? Infinity : call + 5, output: undefined, machine, outcome, ended: call + 5, ...(reason ? { reason } : {}) };
}

describe('describeDiskFull', () => {
  it('counts only the operations sent to the full machine while it was full, by outcome, with the commonest reasons', () => {
    const ops = [
      op('core-2', 900, 'write', 'ok'), // before
      op('core-2', 1_000, 'write', 'unknown', 'timeout'),
      op('core-2', 1_500, 'write', 'unknown', 'timeout'),
      op('core-2', 2_000, 'read', 'none', 'ECONNREFUSED'),
      op('core-2', 2_500, 'read', 'ok'),
      op('core-3', 2_000, 'write', 'ok'), // another machine
      op('core-2', 5_000, 'write', 'ok'), // after
    ];
    const line = describeDiskFull({ machine: 'core-2', startMs: 1_000, endMs: 5_000, restarts: 3, recoveredAfterMs: 2_400 }, ops);
    expect(line).toBe('disk full on core-2 for 4.0 s: kvd restarted 3 times, healthy 2.4 s after the space came back; through it: 2 change unknown, 1 read none, 1 read ok (2× timeout; 1× ECONNREFUSED)');
  });

  it('says when nothing was sent, and when restarts or the recovery are unknown', () => {
    expect(describeDiskFull({ machine: 'core-1', startMs: 0, endMs: 1_000 }, [])).toBe('disk full on core-1 for 1.0 s: kvd restarts unknown, not healthy again within the wait; through it: no operations');
  });
});
