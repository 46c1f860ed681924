import { describe, expect, it } from 'vitest';
import { checkUpdater, mostAtOnce, rebootsOf, type BootLogEntry, type SemaphoreSample } from './updater-checker.js';

const down = (machine: string, atMs: number, target = 'reboot.target'): BootLogEntry => ({ machine, kind: 'down', atMs, target });
const up = (machine: string, atMs: number): BootLogEntry => ({ machine, kind: 'up', atMs });
let index = 100;
const sample = (atMs: number, holders: string[], max = 2): SemaphoreSample => ({ atMs, index: index++, max, semaphore: max - holders.length, holders });

describe('rebootsOf and mostAtOnce', () => {
  it('pairs reboot downs with the next up, ignores halts, and counts overlaps', () => {
    const reboots = rebootsOf([down('a', 1_000), down('b', 2_000), up('a', 4_000), down('c', 4_000, 'halt.target'), up('c', 9_000), up('b', 5_000), down('a', 8_000)]);
    expect(reboots).toEqual([{ machine: 'a', downMs: 1_000, upMs: 4_000 }, { machine: 'b', downMs: 2_000, upMs: 5_000 }, { machine: 'a', downMs: 8_000 }]);
    expect(mostAtOnce(reboots, 10_000)).toEqual({ count: 2, atMs: 2_000, machines: ['a', 'b'] });
  });
});

describe('checkUpdater', () => {
  const log = [down('a', 1_000), up('a', 4_000), down('b', 1_500), up('b', 5_000)];
  const samples = [sample(500, []), sample(900, ['a']), sample(1_400, ['a', 'b']), sample(3_000, ['a', 'b']), sample(26_000, ['b']), sample(27_000, [])];

  it('passes two reboots under a max of 2, each while its machine held the semaphore', () => {
    const { verdicts, maxSeen } = checkUpdater({ log, samples, endMs: 30_000, healthyAfterMs: 20_000 });
    expect(verdicts.map((v) => v.result)).toEqual(['pass', 'pass']);
    expect(maxSeen).toBe(2);
  });

  it('fails three reboots at once under a max of 2', () => {
    const { verdicts } = checkUpdater({ log: [...log, down('c', 2_000), up('c', 3_000)], samples, endMs: 30_000, healthyAfterMs: 20_000 });
    expect(verdicts[0]!.result).toBe('fail');
    expect(verdicts[0]!.details[0]).toContain('3 machines rebooting at once');
    expect(verdicts[1]!.details.join()).toContain('c went down to reboot at 2.0 s');
  });

  it('fails a malformed semaphore, and a holder that gave its place back without rebooting', () => {
    const bad = [sample(500, []), { ...sample(900, ['a', 'b', 'c']), semaphore: -1 }, sample(1_400, ['a', 'b']), sample(20_000, ['a']), sample(26_000, [])];
    const { verdicts } = checkUpdater({ log: log.filter((entry) => entry.machine === 'a'), samples: bad, endMs: 30_000, healthyAfterMs: 20_000 });
    expect(verdicts[0]!.details[0]).toContain('3 holders for a max of 2');
    expect(verdicts[1]!.details.join()).toContain('b took the semaphore');
  });

  it('counts a reboot as unverified when no read of the semaphore came while it could hold', () => {
    const { verdicts, unverified } = checkUpdater({ log, samples: [sample(500, []), sample(40_000, [])], endMs: 40_000, healthyAfterMs: 20_000 });
    expect(unverified).toBe(2);
    expect(verdicts[1]!.result).toBe('pass');
  });

  it('does not ask a holder already there at the first read for its reboot', () => {
    const { verdicts } = checkUpdater({ log: [], samples: [sample(500, ['z']), sample(9_000, [])], endMs: 10_000, healthyAfterMs: 20_000 });
    expect(verdicts[1]!.result).toBe('pass');
  });

  it('is unknown when nothing rebooted and nobody held the semaphore', () => {
    const { verdicts } = checkUpdater({ log: [], samples: [sample(500, []), sample(9_000, [])], endMs: 10_000, healthyAfterMs: 20_000 });
    expect(verdicts[0]!.result).toBe('unknown');
  });
});
