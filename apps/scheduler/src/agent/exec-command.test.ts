import { parseUnitFile } from '@minicore/unit-file';
import { describe, expect, it } from 'vitest';
import { execPlan, parseTimeSpan, shouldRestart, splitCommandLine } from './exec-command.js';

describe('exec command lines', () => {
  it('splits like systemd: quotes group, backslash escapes, no shell', () => {
    expect(splitCommandLine(`/bin/sh -c 'echo "a b"; exit 3'`)).toEqual(['/bin/sh', '-c', 'echo "a b"; exit 3']);
    expect(splitCommandLine('/bin/echo "x \\"y\\"" z\\ w')).toEqual(['/bin/echo', 'x "y"', 'z w']);
    expect(splitCommandLine('  a   b  ')).toEqual(['a', 'b']);
    expect(splitCommandLine('a ""')).toEqual(['a', '']);
    expect(() => splitCommandLine('a "b')).toThrow('unbalanced');
  });

  it('reads ExecStart (last one, specifiers, prefixes), Environment, Restart and RestartSec', () => {
    const plan = execPlan(parseUnitFile('[Service]\nExecStart=/bin/false\nExecStart=\nExecStart=-/bin/echo %i 100%%\nEnvironment="A=1 2" B=%n\nEnvironment=C=3\nRestart=on-failure\nRestartSec=2\n'), 'web@7.service');
    expect(plan).toMatchObject({ argv: ['/bin/echo', '7', '100%'], ignoreFailure: true, environment: { A: '1 2', B: 'web@7.service', C: '3' }, restart: 'on-failure', restartSecMs: 2000 });
    expect(execPlan(parseUnitFile('[Service]\nExecStart=/bin/true\n'), 'a.service')).toMatchObject({ restart: 'no', restartSecMs: 100, ignoreFailure: false });
    expect(() => execPlan(parseUnitFile('[Unit]\nDescription=x\n'), 'a.service')).toThrow('no ExecStart');
    expect(() => execPlan(parseUnitFile('[Service]\nExecStart=/bin/true\nRestart=sometimes\n'), 'a.service')).toThrow('Restart=sometimes');
  });

  it('parses systemd time spans', () => {
    expect(parseTimeSpan('250ms')).toBe(250);
    expect(parseTimeSpan('1min 30s')).toBe(90_000);
    expect(parseTimeSpan('3')).toBe(3000);
    expect(() => parseTimeSpan('soon')).toThrow('time span');
  });

  it("follows systemd's Restart= table", () => {
    const exit0 = { kind: 'exited', code: 0 } as const;
    const exit1 = { kind: 'exited', code: 1 } as const;
    const killed = { kind: 'signal', signal: 'SIGKILL' } as const;
    const term = { kind: 'signal', signal: 'SIGTERM' } as const;
    const plain = { ignoreFailure: false };
    expect([exit0, exit1, killed].map((o) => shouldRestart('no', o, plain))).toEqual([false, false, false]);
    expect([exit0, exit1, killed].map((o) => shouldRestart('always', o, plain))).toEqual([true, true, true]);
    expect([exit0, exit1, killed].map((o) => shouldRestart('on-failure', o, plain))).toEqual([false, true, true]);
    expect([exit0, exit1, killed].map((o) => shouldRestart('on-success', o, plain))).toEqual([true, false, false]);
    expect([exit0, exit1, killed].map((o) => shouldRestart('on-abnormal', o, plain))).toEqual([false, false, true]);
    expect([killed, term].map((o) => shouldRestart('on-abort', o, plain))).toEqual([true, false]);
    expect(shouldRestart('on-failure', exit1, { ignoreFailure: true })).toBe(false);
  });
});
