import { describe, expect, it } from 'vitest';
import { checkAcknowledgedWrites, checkFinalAgreement } from './final-checkers.js';

const reads = (machine: string, entries: [string, string | null][]) => ({ machine, values: new Map(entries) });

describe('checkAcknowledgedWrites', () => {
  const writes = [
    { key: 'a', value: '1', outcome: 'ok' as const },
    { key: 'b', value: '2', outcome: 'unknown' as const },
    { key: 'c', value: '3', outcome: 'fail' as const },
  ];

  it('passes when every acknowledged write reads back and unknown ones are there or absent', () => {
    const verdict = checkAcknowledgedWrites(writes, [reads('core-1', [['a', '1'], ['b', null]]), reads('core-2', [['a', '1'], ['b', '2']])]);
    expect(verdict.result).toBe('pass');
    expect(verdict.summary).toContain('1 acknowledged write-once keys (+1 unknown)');
  });

  it('fails a lost write, a value never written, and a machine that cannot answer', () => {
    const verdict = checkAcknowledgedWrites(writes, [reads('core-1', [['a', null]]), reads('core-2', [['a', '1'], ['b', 'zz']]), { machine: 'core-3', error: 'timeout' }]);
    expect(verdict.result).toBe('fail');
    expect(verdict.details).toEqual([
      'core-1: 1 acknowledged write(s) lost, e.g. a=1 reads null',
      'core-2: 1 key(s) hold a value never written, e.g. b="zz"',
      'core-3: the final reads failed: timeout',
    ]);
  });
});

describe('checkFinalAgreement', () => {
  it('passes equal views and names the key where two machines differ', () => {
    expect(checkFinalAgreement(['k'], [reads('core-1', [['k', 'x']]), reads('core-2', [['k', 'x']])]).result).toBe('pass');
    const verdict = checkFinalAgreement(['k'], [reads('core-1', [['k', 'x']]), reads('core-2', [['k', null]])]);
    expect(verdict.details).toEqual(['k: core-1 reads "x", core-2 reads null']);
  });
});
