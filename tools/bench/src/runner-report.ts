import { ratioOf, spread, type Spread } from './runner-stats.js';
import { renderColumns } from './columns.js';

/** The start-latency phase: milliseconds per sample, interleaved. */
export interface StartResults {
  samples: number;
  /** From spawning the command to its exit, the container running (checked after each sample). */
  docker: number[];
  runctl: number[];
  /** runnerd's POST /v1/containers from the benchmark itself: runnerd and the engine, no CLI. */
  api: number[];
  /** From spawning the command to the engine's `start` event of its container. */
  dockerToStartEvent: number[];
  runctlToStartEvent: number[];
  /** `runctl --version`: node start-up and runctl's module loading, no request. */
  runctlStartup: number[];
  errors: string[];
}

/** The supervision phase. */
export interface SuperviseResults {
  containers: number;
  /** Time to create and start them all through runnerd's API (a few at a time). */
  createMs: number | undefined;
  rssIdleKb: number | undefined;
  rssSupervisingKb: number | undefined;
  rssAfterKb: number | undefined;
  /** VmHWM at the end: the most runnerd ever held. */
  rssPeakKb: number | undefined;
  /** runnerd's CPU (user + system) while nothing happens, as a share of one core. */
  idleCpuPercent: number | undefined;
  idleWindowMs: number;
  /** runnerd's GET /v1/containers?all=true with every container listed (what `runctl ps -a` asks). */
  listMs: number | undefined;
  /** Engine timestamps: the container's `die` event to the `start` event of its restart. */
  deathToRestart: number[];
  /** The same for containers under the engine's own `--restart always`, killed in turn with runnerd's (a reference on a busy machine). */
  dockerdDeathToRestart: number[];
  /** The benchmark's clock: kill -9 sent to the `start` event received. */
  killToRestart: number[];
  burst: number;
  burstDeathToRestart: number[];
  /** Deaths (one at a time) whose restart did not come within 10 s. */
  notRestarted: number;
  /** Burst deaths whose restart did not come within 60 s. */
  burstNotRestarted: number;
  errors: string[];
}

export const START_TARGET_RATIO = 1.1;
export const RESTART_TARGET_MS = 1000;

export type Verdict = 'met' | 'MISSED' | '?';

/** Whether `value` is within `limit` (at most, or below it when `strictly`); ? without a figure. */
export function verdict(value: number | undefined, limit: number, strictly = false): Verdict {
  if (value === undefined || Number.isNaN(value)) return '?';
  return (strictly ? value < limit : value <= limit) ? 'met' : 'MISSED';
}

export function formatMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return value < 10 ? value.toFixed(2) : value < 1000 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
}

export function formatRatio(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(2)}x`;
}

function formatMb(kb: number | undefined): string {
  return kb === undefined ? '-' : (kb / 1024).toFixed(1);
}

function table(heading: string, rows: string[][], rightAligned: ReadonlySet<number>): string {
  const body = renderColumns(rows, rightAligned);
  const width = Math.max(...body.split('\n').map((line) => line.length), heading.length);
  return `${heading}\n${'-'.repeat(width)}\n${body}\n`;
}

interface StartFigures {
  docker: Spread | undefined;
  runctl: Spread | undefined;
  api: Spread | undefined;
  dockerEvent: Spread | undefined;
  runctlEvent: Spread | undefined;
  startup: Spread | undefined;
}

function startFigures(results: StartResults): StartFigures {
  return {
    docker: spread(results.docker),
    runctl: spread(results.runctl),
    api: spread(results.api),
    dockerEvent: spread(results.dockerToStartEvent),
    runctlEvent: spread(results.runctlToStartEvent),
    startup: spread(results.runctlStartup),
  };
}

/** The start-latency table: docker run, runctl run, their ratio and the issue's target (on p50). */
export function formatStartTable(results: StartResults, image: string): string {
  const f = startFigures(results);
  const row = (label: string, docker: number | undefined, runctl: number | undefined, target: boolean): string[] => {
    const value = ratioOf(runctl, docker);
    return [label, formatMs(docker), formatMs(runctl), formatRatio(value), target ? `<= ${START_TARGET_RATIO.toFixed(2)}x ${verdict(value, START_TARGET_RATIO)}` : ''];
  };
  const rows = [
    ['metric (ms)', 'docker run -d', 'runctl run -d', 'runctl/docker', 'target'],
    row('start to running, p50', f.docker?.p50, f.runctl?.p50, true),
    row('start to running, p90', f.docker?.p90, f.runctl?.p90, false),
    row("spawn to the engine's start event, p50", f.dockerEvent?.p50, f.runctlEvent?.p50, false),
    ['where runctl run -d spends it (p50):', '', '', '', ''],
    ['  runctl start-up alone (runctl --version)', '', formatMs(f.startup?.p50), '', ''],
    ['  runnerd API without a CLI (POST /v1/containers)', '', formatMs(f.api?.p50), formatRatio(ratioOf(f.api?.p50, f.docker?.p50)), ''],
  ];
  const heading = `start-to-running latency: ${image} \`sleep\`, detached, ${results.samples} samples per system, interleaved (rotating order)`;
  return table(heading, rows, new Set([1, 2, 3]));
}

/** The supervision table: runnerd's memory and CPU with N containers, and death-to-restart times against the target, beside dockerd's own restart policy. */
export function formatSuperviseTable(results: SuperviseResults): string {
  const deaths = spread(results.deathToRestart);
  const reference = spread(results.dockerdDeathToRestart);
  const kills = spread(results.killToRestart);
  const burst = spread(results.burstDeathToRestart);
  const n = results.containers;
  const target = (value: number | undefined) => `< ${RESTART_TARGET_MS} ms ${verdict(value, RESTART_TARGET_MS, true)}`;
  const only = (label: string, value: string): string[] => [label, value, '', '', ''];
  const rows = [
    ['metric', 'runnerd', 'dockerd --restart', 'runnerd/dockerd', 'target'],
    only('RSS, supervising 0 containers (MB)', formatMb(results.rssIdleKb)),
    only(`RSS, supervising ${n} containers (MB)`, formatMb(results.rssSupervisingKb)),
    only('RSS after the deaths / peak VmHWM (MB)', `${formatMb(results.rssAfterKb)} / ${formatMb(results.rssPeakKb)}`),
    only(`CPU while nothing happens, ${n} supervised (% of a core over ${Math.round(results.idleWindowMs / 1000)} s)`, results.idleCpuPercent === undefined ? '-' : results.idleCpuPercent.toFixed(2)),
    [`death to restarted, p50 (ms; ${deaths?.count ?? 0} and ${reference?.count ?? 0} deaths, one at a time)`, formatMs(deaths?.p50), formatMs(reference?.p50), formatRatio(ratioOf(deaths?.p50, reference?.p50)), target(deaths?.p50)],
    ['death to restarted, p99 (ms)', formatMs(deaths?.p99), formatMs(reference?.p99), formatRatio(ratioOf(deaths?.p99, reference?.p99)), target(deaths?.p99)],
    only('kill -9 sent to restart seen by the benchmark, p50 / p99 (ms)', `${formatMs(kills?.p50)} / ${formatMs(kills?.p99)}`),
    only(`burst of ${results.burst} kill -9 at once: death to restarted, p50 / max (ms)`, results.burst === 0 ? '-' : `${formatMs(burst?.p50)} / ${formatMs(burst?.max)}`),
    only('deaths not restarted: one at a time within 10 s / burst within 60 s', `${results.notRestarted} / ${results.burstNotRestarted}`),
    only(`create and start ${n} through runnerd (s) / list them all (ms)`, `${results.createMs === undefined ? '-' : (results.createMs / 1000).toFixed(1)} / ${formatMs(results.listMs)}`),
  ];
  const heading = `supervision: one runnerd, ${n} containers with --restart always, default backoff (first restart after 100 ms, as dockerd)`;
  return table(heading, rows, new Set([1, 2, 3]));
}

/** One line per target of the runner issue: met, MISSED, or ? when the figure is missing. */
export function targetLines(start: StartResults | undefined, supervise: SuperviseResults | undefined): string[] {
  const lines: string[] = [];
  const mark = (v: Verdict) => (v === 'met' ? 'met   ' : v === 'MISSED' ? 'MISSED' : '?     ');
  if (start) {
    const value = ratioOf(spread(start.runctl)?.p50, spread(start.docker)?.p50);
    lines.push(`${mark(verdict(value, START_TARGET_RATIO))} start to running, runctl run / docker run p50: ${formatRatio(value)} (target <= ${START_TARGET_RATIO.toFixed(2)}x)`);
  }
  if (supervise) {
    const deaths = spread(supervise.deathToRestart);
    const worst = supervise.notRestarted > 0 ? Number.POSITIVE_INFINITY : deaths?.p99;
    lines.push(
      `${mark(verdict(worst, RESTART_TARGET_MS, true))} death to restarted with ${supervise.containers} supervised, p99: ${supervise.notRestarted > 0 ? `${supervise.notRestarted} not restarted within 10 s` : `${formatMs(deaths?.p99)} ms`} (target < ${RESTART_TARGET_MS} ms)`,
    );
  }
  return lines;
}
