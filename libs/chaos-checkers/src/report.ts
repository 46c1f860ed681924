import type { DiskFullWindow } from './disk-full.js';
import type { Bucket } from './timeline.js';
import type { Verdict } from './verdict.js';

/** A fault as it actually happened (times in ms since the clients started). */
export interface FaultRecord {
  id: number;
  kind: string;
  /** What was done, e.g. `SIGSTOP kvd on core-3 (the leader)`. */
  description: string;
  startMs: number;
  endMs: number;
  /** When injecting or healing it failed. */
  error?: string;
  /** disk-full: which machine, and what its kvd did (restarts, time to healthy). */
  diskFull?: DiskFullWindow;
}

export interface RunReport {
  seed: number;
  durationMs: number;
  machines: string[];
  /** ISO time the run started. */
  startedAt: string;
  /** The command that replays this run's schedule and workload. */
  reproduce: string;
  faults: FaultRecord[];
  /** When every fault had been healed, and when the load stopped (ms since start). */
  healedAtMs: number;
  endMs: number;
  /** Operations by kind, then outcome (ok / fail / unknown / none). */
  counts: Record<string, Record<string, number>>;
  timeline: Bucket[];
  bucketMs: number;
  verdicts: Verdict[];
  /** What is not checked yet, and why (the scheduler's and updater's checkers, faults that cannot be made). */
  notChecked: string[];
  /** Figures of the other components' checkers (scheduler: moves, gaps; updater: reboots), one line each. */
  figures?: string[];
  /** Readable lines of the recorded history around a failure (empty when every checker passed). */
  excerpt: string[];
}

export const passed = (report: Pick<RunReport, 'verdicts'>) => report.verdicts.every((verdict) => verdict.result === 'pass');

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** A table cell: a `|` would end it. */
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The run's report as Markdown: what happened, what was checked, and how to replay it. */
export function formatMarkdown(report: RunReport): string {
  const ok = passed(report);
  const lines = [
    `# Chaos run, seed ${report.seed}: ${ok ? 'PASS' : 'FAIL'}`,
    '',
    `Started ${report.startedAt}; ${report.machines.length} machines (${report.machines.join(', ')}); faults for ${seconds(report.durationMs)}, all healed at ${seconds(report.healedAtMs)}, load stopped at ${seconds(report.endMs)}.`,
    '',
    `Reproduce: \`${report.reproduce}\``,
    '',
    '## Verdicts',
    '',
    ...report.verdicts.flatMap((verdict) => [`- **${verdict.result.toUpperCase()}** ${verdict.checker}: ${verdict.summary}`, ...verdict.details.map((detail) => `  - ${detail.replaceAll('\n', '\n    ')}`)]),
    ...(report.notChecked.length > 0 ? ['', 'Not checked:', ...report.notChecked.map((line) => `- ${line}`)] : []),
    '',
    `## Faults (${report.faults.length})`,
    '',
    '| # | kind | start | end | what | error |',
    '|---|------|-------|-----|------|-------|',
    ...report.faults.map((fault) => `| ${fault.id} | ${fault.kind} | ${seconds(fault.startMs)} | ${seconds(fault.endMs)} | ${cell(fault.description)} | ${cell(fault.error ?? '')} |`),
    ...(report.figures?.length ? ['', '## Figures: full disks, scheduler, updater', '', ...report.figures.map((line) => `- ${line}`)] : []),
    '',
    '## Operations',
    '',
    ...operationTable(report.counts),
    '',
    `## Throughput and latency (per ${seconds(report.bucketMs)})`,
    '',
    '| from | ok | fail | unknown | none | p50 ms | p99 ms | max ms |',
    '|------|----|------|---------|------|--------|--------|--------|',
    ...report.timeline.map((b) => `| ${seconds(b.startMs)} | ${b.ok} | ${b.fail} | ${b.unknown} | ${b.none} | ${b.p50?.toFixed(0) ?? '-'} | ${b.p99?.toFixed(0) ?? '-'} | ${b.max?.toFixed(0) ?? '-'} |`),
  ];
  if (!ok) lines.push('', '## History excerpt', '', '```', ...report.excerpt, '```', '', `Seed ${report.seed}. Reproduce: \`${report.reproduce}\``);
  return `${lines.join('\n')}\n`;
}

function operationTable(counts: Record<string, Record<string, number>>): string[] {
  const outcomes = ['ok', 'fail', 'unknown', 'none'];
  const rows = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  const total = (row: Record<string, number>) => outcomes.reduce((sum, outcome) => sum + (row[outcome] ?? 0), 0);
  return [
    `| op | ${outcomes.join(' | ')} | total |`,
    `|----|${outcomes.map(() => '----').join('|')}|-------|`,
    ...rows.map(([op, row]) => `| ${op} | ${outcomes.map((outcome) => row[outcome] ?? 0).join(' | ')} | ${total(row)} |`),
    `| all | ${outcomes.map((outcome) => rows.reduce((sum, [, row]) => sum + (row[outcome] ?? 0), 0)).join(' | ')} | ${rows.reduce((sum, [, row]) => sum + total(row), 0)} |`,
  ];
}

/** vitest's JSON reporter shape, enough for tools/ci/summary.mjs: one assertion per checker. */
export function vitestJson(report: RunReport): object {
  const assertions = report.verdicts.map((verdict) => ({
    ancestorTitles: [`chaos seed ${report.seed}`],
    title: verdict.checker,
    fullName: `chaos seed ${report.seed} ${verdict.checker}`,
    status: verdict.result === 'pass' ? 'passed' : 'failed',
    failureMessages: verdict.result === 'pass' ? [] : [`${verdict.result}: ${verdict.summary}\n${verdict.details.join('\n')}\nreproduce: ${report.reproduce}`],
  }));
  const failed = assertions.filter((assertion) => assertion.status === 'failed').length;
  return {
    numTotalTestSuites: 1,
    numPassedTestSuites: failed === 0 ? 1 : 0,
    numFailedTestSuites: failed === 0 ? 0 : 1,
    numTotalTests: assertions.length,
    numPassedTests: assertions.length - failed,
    numFailedTests: failed,
    numPendingTests: 0,
    numTodoTests: 0,
    startTime: Date.parse(report.startedAt),
    success: failed === 0,
    testResults: [{ name: 'e2e/chaos', status: failed === 0 ? 'passed' : 'failed', message: '', assertionResults: assertions }],
  };
}
