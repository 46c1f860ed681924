import { describe, expect, it } from 'vitest';
import { formatStartTable, formatSuperviseTable, targetLines, verdict, type StartResults, type SuperviseResults } from './runner-report.js';

function startResults(docker: number, runctl: number): StartResults {
  return {
    samples: 3,
    docker: [docker, docker, docker],
    runctl: [runctl, runctl, runctl],
    api: [docker - 20, docker - 20, docker - 20],
    dockerToStartEvent: [docker - 30],
    runctlToStartEvent: [runctl - 30],
    runctlStartup: [90],
    errors: [],
  };
}

function superviseResults(deaths: number[], notRestarted = 0): SuperviseResults {
  return {
    containers: 200,
    createMs: 61_000,
    rssIdleKb: 60 * 1024,
    rssSupervisingKb: 80 * 1024,
    rssAfterKb: 81 * 1024,
    rssPeakKb: 90 * 1024,
    idleCpuPercent: 0.25,
    idleWindowMs: 10_000,
    listMs: 450,
    deathToRestart: deaths,
    dockerdDeathToRestart: deaths.map((d) => d * 2),
    killToRestart: deaths.map((d) => d + 20),
    burst: 20,
    burstDeathToRestart: [300, 700],
    notRestarted,
    burstNotRestarted: 0,
    errors: [],
  };
}

describe('verdict', () => {
  it('is met at the limit, MISSED above it, ? without a figure', () => {
    expect(verdict(1.1, 1.1)).toBe('met');
    expect(verdict(1.11, 1.1)).toBe('MISSED');
    expect(verdict(undefined, 1.1)).toBe('?');
    expect(verdict(1000, 1000, true)).toBe('MISSED');
    expect(verdict(999.9, 1000, true)).toBe('met');
    expect(verdict(Number.POSITIVE_INFINITY, 1000, true)).toBe('MISSED');
  });
});

describe('formatStartTable', () => {
  it('shows both systems, their ratio and the target on p50', () => {
    const text = formatStartTable(startResults(400, 420), 'minicore/busybox:latest');
    const lines = text.split('\n');
    expect(lines[0]).toContain('3 samples per system, interleaved');
    expect(lines[1]).toMatch(/^-+$/);
    expect(lines[2]).toMatch(/^metric \(ms\)\s+docker run -d\s+runctl run -d\s+runctl\/docker\s+target$/);
    expect(text).toMatch(/start to running, p50\s+400\.0\s+420\.0\s+1\.05x\s+<= 1\.10x met/);
    expect(text).toMatch(/runctl start-up alone \(runctl --version\)\s+90\.0/);
    expect(formatStartTable(startResults(400, 600), 'x')).toMatch(/1\.50x\s+<= 1\.10x MISSED/);
  });
});

describe('formatSuperviseTable', () => {
  it('shows memory in MB, CPU, and death-to-restart against the 1 s target and beside dockerd', () => {
    const text = formatSuperviseTable(superviseResults([150, 160, 170, 400]));
    expect(text.split('\n')[2]).toMatch(/^metric\s+runnerd\s+dockerd --restart\s+runnerd\/dockerd\s+target$/);
    expect(text).toMatch(/RSS, supervising 200 containers \(MB\)\s+80\.0\n/);
    expect(text).toMatch(/death to restarted, p50 \(ms; 4 and 4 deaths, one at a time\)\s+160\.0\s+320\.0\s+0\.50x\s+< 1000 ms met/);
    expect(text).toMatch(/death to restarted, p99 \(ms\)\s+400\.0\s+800\.0\s+0\.50x\s+< 1000 ms met/);
    expect(text).toMatch(/burst of 20 kill -9 at once: death to restarted, p50 \/ max \(ms\)\s+300\.0 \/ 700\.0/);
    expect(text).toMatch(/create and start 200 through runnerd \(s\) \/ list them all \(ms\)\s+61\.0 \/ 450\.0/);
    expect(formatSuperviseTable(superviseResults([150, 1000]))).toMatch(/p99 \(ms\)\s+1,000\s+2,000\s+0\.50x\s+< 1000 ms MISSED/);
  });
});

describe('targetLines', () => {
  it('says met or MISSED for each target of the issue', () => {
    expect(targetLines(startResults(400, 420), superviseResults([100, 200]))).toEqual([
      'met    start to running, runctl run / docker run p50: 1.05x (target <= 1.10x)',
      'met    death to restarted with 200 supervised, p99: 200.0 ms (target < 1000 ms)',
    ]);
  });

  it('counts a death that was never restarted as a miss', () => {
    expect(targetLines(undefined, superviseResults([100], 2))).toEqual(['MISSED death to restarted with 200 supervised, p99: 2 not restarted within 10 s (target < 1000 ms)']);
  });

  it('says nothing about a phase that did not run', () => {
    expect(targetLines(undefined, undefined)).toEqual([]);
  });
});
