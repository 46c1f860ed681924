import { describe, expect, it } from 'vitest';
import { parseRunnerCommand } from './runner-args.js';
import { UsageError } from './option-values.js';

describe('parseRunnerCommand', () => {
  it("has the issue's defaults: 200 containers, both phases", () => {
    expect(parseRunnerCommand(['runner'])).toEqual({
      kind: 'runner',
      options: { samples: 30, warmup: 3, containers: 200, deaths: 50, burst: 20, image: 'minicore/busybox:latest', phases: ['start', 'supervise'], json: false },
    });
  });

  it('reads every option', () => {
    const parsed = parseRunnerCommand(['runner', '--samples', '10', '--warmup=0', '--containers', '20', '--deaths', '5', '--burst', '0', '--image', 'minicore/other:2', '--phases', 'supervise', '--output', 'json']);
    expect(parsed).toEqual({
      kind: 'runner',
      options: { samples: 10, warmup: 0, containers: 20, deaths: 5, burst: 0, image: 'minicore/other:2', phases: ['supervise'], json: true },
    });
  });

  it('keeps the phases in their own order', () => {
    const parsed = parseRunnerCommand(['runner', '--phases', 'supervise,start']);
    expect(parsed.kind === 'runner' && parsed.options.phases).toEqual(['start', 'supervise']);
  });

  it('answers --help and -h with the usage', () => {
    for (const flag of ['--help', '-h']) {
      const parsed = parseRunnerCommand(['runner', flag]);
      expect(parsed.kind).toBe('help');
      expect(parsed.kind === 'help' && parsed.text).toMatch(/npm run bench -- runner/);
    }
  });

  it('rejects what it does not understand, naming the value', () => {
    expect(() => parseRunnerCommand(['kv'])).toThrow(UsageError);
    expect(() => parseRunnerCommand(['runner', 'extra'])).toThrow('unexpected argument "extra"');
    expect(() => parseRunnerCommand(['runner', '--bogus'])).toThrow(UsageError);
    expect(() => parseRunnerCommand(['runner', '--samples', '0'])).toThrow('invalid --samples 0: expected 1..10000');
    expect(() => parseRunnerCommand(['runner', '--samples', '2.5'])).toThrow('invalid --samples 2.5: expected a whole number');
    expect(() => parseRunnerCommand(['runner', '--containers', '1001'])).toThrow('invalid --containers 1001');
    expect(() => parseRunnerCommand(['runner', '--phases', 'start,boot'])).toThrow('invalid --phases start,boot');
    expect(() => parseRunnerCommand(['runner', '--output', 'csv'])).toThrow('invalid --output csv: expected json');
    expect(() => parseRunnerCommand(['runner', '--image', 'Not An Image'])).toThrow('invalid --image');
  });

  it('needs a different container for every measured death and for the burst', () => {
    expect(() => parseRunnerCommand(['runner', '--containers', '10', '--deaths', '11'])).toThrow('--deaths 11 is more than --containers 10');
    expect(() => parseRunnerCommand(['runner', '--containers', '10', '--deaths', '5', '--burst', '11'])).toThrow('--burst 11 is more than --containers 10');
  });
});
