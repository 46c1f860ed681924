import { describe, expect, it } from 'vitest';
import { renderHtml, renderSvg } from './html-report.js';
import { formatMarkdown, vitestJson, type RunReport } from './report.js';
import { percentile, timeline } from './timeline.js';

function sampleReport(pass: boolean): RunReport {
  return {
    seed: 42,
    durationMs: 20_000,
    machines: ['core-1', 'core-2', 'core-3'],
    startedAt: '2026-11-26T11:00:00.000Z',
    reproduce: 'npm run chaos -- --duration 20s --seed 42 --machines 3',
    faults: [
      { id: 1, kind: 'pause', description: 'SIGSTOP kvd on core-2 <leader>', startMs: 5_000, endMs: 8_000 },
      { id: 2, kind: 'partition-minority', description: 'partition [core-1] | [core-2,core-3]', startMs: 10_000, endMs: 15_000, error: 'heal failed once' },
    ],
    healedAtMs: 20_000,
    endMs: 25_000,
    counts: { read: { ok: 10, none: 2 }, write: { ok: 5, unknown: 1 } },
    timeline: timeline([{ call: 0, ended: 10, outcome: 'ok' }, { call: 5_000, ended: 8_000, outcome: 'unknown' }], 1_000, 25_000),
    bucketMs: 1_000,
    verdicts: [
      { checker: 'linearizability', result: 'pass', summary: '18 ops, ok', details: [] },
      { checker: 'watches never skip or reorder', result: pass ? 'pass' : 'fail', summary: '2 watchers', details: pass ? [] : ['w1 skipped 1 change(s)'] },
    ],
    notChecked: ['scheduler: no unit on two machines (not yet)'],
    excerpt: pass ? [] : ['#12 client c3 write(k, "v") -> ok @40'],
  };
}

describe('timeline', () => {
  it('counts outcomes by the time they ended and takes latency percentiles of answered ops', () => {
    const buckets = timeline([{ call: 0, ended: 100, outcome: 'ok' }, { call: 500, ended: 900, outcome: 'fail' }, { call: 0, ended: 1_500, outcome: 'unknown' }], 1_000, 2_000);
    expect(buckets).toHaveLength(2);
    expect(buckets[0]).toMatchObject({ startMs: 0, ok: 1, fail: 1, unknown: 0, p50: 100, p99: 400, max: 400 });
    expect(buckets[1]).toMatchObject({ startMs: 1_000, unknown: 1, p50: null });
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
  });
});

describe('the run report', () => {
  it('writes Markdown with verdicts, faults, operations and the reproduction command', () => {
    const text = formatMarkdown(sampleReport(true));
    expect(text).toMatch(/^# Chaos run, seed 42: PASS/);
    expect(text).toContain('- **PASS** linearizability: 18 ops, ok');
    expect(text).toContain('| 2 | partition-minority | 10.0 s | 15.0 s | partition [core-1] \\| [core-2,core-3] | heal failed once |');
    expect(text).toContain('| write | 5 | 0 | 1 | 0 | 6 |');
    expect(text).toContain('| all | 15 | 0 | 1 | 2 | 18 |');
    expect(text).toContain('Reproduce: `npm run chaos -- --duration 20s --seed 42 --machines 3`');
    expect(text).not.toContain('History excerpt');
    expect(text).not.toContain('## Figures: full disks, scheduler, updater');
    const withFigures = formatMarkdown({ ...sampleReport(true), figures: ['updater: reboots core-2 3.0-7.5 s; at most 1 at once'] });
    expect(withFigures).toContain('## Figures: full disks, scheduler, updater\n\n- updater: reboots core-2 3.0-7.5 s; at most 1 at once\n');
  });

  it('adds the history excerpt and the seed on a failure', () => {
    const text = formatMarkdown(sampleReport(false));
    expect(text).toMatch(/^# Chaos run, seed 42: FAIL/);
    expect(text).toContain('  - w1 skipped 1 change(s)');
    expect(text).toContain('## History excerpt');
    expect(text).toContain('#12 client c3 write(k, "v") -> ok @40');
  });

  it('draws an SVG with one shaded window per fault in each panel, escaped labels, and an HTML page around it', () => {
    const svg = renderSvg(sampleReport(true));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/fill-opacity="0.18"/g)).toHaveLength(4);
    expect(svg).toContain('&lt;leader&gt;');
    expect(svg).not.toContain('<leader>');
    const html = renderHtml(sampleReport(false));
    expect(html).toContain('<title>chaos seed 42: FAIL</title>');
    expect(html).toContain('# Chaos run, seed 42: FAIL');
  });

  it('writes a vitest-style JSON report with one assertion per checker', () => {
    const json = vitestJson(sampleReport(false)) as { numPassedTests: number; numFailedTests: number; success: boolean; testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[] };
    expect(json.numPassedTests).toBe(1);
    expect(json.numFailedTests).toBe(1);
    expect(json.success).toBe(false);
    const [first, second] = json.testResults[0]?.assertionResults ?? [];
    expect(first).toMatchObject({ fullName: 'chaos seed 42 linearizability', status: 'passed', failureMessages: [] });
    expect(second?.status).toBe('failed');
    expect(second?.failureMessages[0]).toContain('reproduce: npm run chaos');
  });
});
