// npm run bench -- runner: runctl/runnerd against docker/dockerd on the same engine, in the same run.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileStamp } from './bench-run.js';
import { ProcessRegistry } from './processes.js';
import { parseRunnerCommand, RUNNER_USAGE, type RunnerBenchOptions } from './runner-args.js';
import { UsageError } from './option-values.js';
import { cliChildren, startRunnerd, type BenchRunnerd } from './runner-daemon.js';
import { BenchEngine, dockerSocket } from './runner-docker.js';
import { formatStartTable, formatSuperviseTable, targetLines, type StartResults, type SuperviseResults } from './runner-report.js';
import { measureStarts } from './runner-start-phase.js';
import { measureSupervision } from './runner-supervise-phase.js';

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RUNNERD_SCRIPT = path.join(workspaceRoot, 'apps/runner/dist/runnerd/main.js');
/** The npm bin entry, as people run runctl. */
const RUNCTL_BIN = path.join(workspaceRoot, 'apps/runner/bin/runctl.js');
const BENCH_LABEL = 'io.minicore.bench';
const RUN_LABEL = 'io.minicore.bench.run';

function progress(text: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
}

function dockerCliVersion(): string | undefined {
  const answer = spawnSync('docker', ['version', '--format', '{{.Client.Version}} / engine {{.Server.Version}}'], { encoding: 'utf8' });
  return answer.status === 0 ? answer.stdout.trim() : undefined;
}

/**
 * Everything the run made, undone: runnerds first (so none restarts what is being removed), CLI
 * children, then every container with this run's label, twice (a `docker run` cut short by Ctrl-C
 * may still create its container), then the work dir.
 */
class RunCleanup {
  #done = false;
  #running: Promise<void> | undefined;

  constructor(
    private readonly registry: ProcessRegistry,
    private readonly engine: BenchEngine,
    private readonly runLabel: string,
    private readonly workDir: string,
    private readonly daemons: BenchRunnerd[],
  ) {}

  run(): Promise<void> {
    this.#running ??= (async () => {
      await Promise.all(this.daemons.map((daemon) => daemon.process.stop(3000)));
      this.#killChildren();
      let removed = await this.engine.removeLabelled(this.runLabel).catch(() => 0);
      await new Promise((resolve) => setTimeout(resolve, 500));
      removed += await this.engine.removeLabelled(this.runLabel).catch(() => 0);
      if (removed > 0) progress(`removed ${removed} container(s) labelled ${this.runLabel}`);
      rmSync(this.workDir, { recursive: true, force: true });
      this.#done = true;
    })();
    return this.#running;
  }

  /** At process exit only synchronous work is possible: the docker CLI removes what is left. */
  runNow(): void {
    this.registry.killAllNow();
    this.#killChildren();
    if (!this.#done) {
      const listed = spawnSync('docker', ['ps', '-aq', '--filter', `label=${this.runLabel}`], { encoding: 'utf8' });
      const ids = (listed.stdout ?? '').split('\n').filter(Boolean);
      if (ids.length > 0) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
    }
    rmSync(this.workDir, { recursive: true, force: true });
  }

  #killChildren(): void {
    for (const child of cliChildren) child.kill('SIGKILL');
  }
}

export async function runRunnerBenchmark(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseRunnerCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${RUNNER_USAGE}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${command.text}\n`);
    return 0;
  }
  const options = command.options;
  if (!existsSync(RUNNERD_SCRIPT)) throw new Error(`${RUNNERD_SCRIPT} is missing: build first (npx nx run @minicore/runner:build)`);
  const docker = dockerCliVersion();
  if (docker === undefined) throw new Error('the docker CLI does not answer (`docker version`): install docker.io and start dockerd (tools/ci/start-dockerd.sh)');
  const engine = new BenchEngine(dockerSocket());
  await engine.ping();
  if (!(await engine.imageExists(options.image))) throw new Error(`the image ${options.image} is missing (build it with tools/ci/build-test-image.sh)`);

  const startedAt = new Date();
  const stamp = fileStamp(startedAt);
  const runId = `runner-${randomBytes(4).toString('hex')}`;
  const runLabel = `${RUN_LABEL}=${runId}`;
  const labels = { [BENCH_LABEL]: 'runner', [RUN_LABEL]: runId };
  const registry = new ProcessRegistry();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minicore-bench-runner-'));
  const daemons: BenchRunnerd[] = [];
  const cleanup = new RunCleanup(registry, engine, runLabel, workDir, daemons);
  let aborted = false;
  process.on('exit', () => cleanup.runNow());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (aborted) return;
      aborted = true;
      progress(`${signal}: stopping runnerd and removing every container labelled ${runLabel}`);
      void cleanup.run().finally(() => process.exit(130));
    });
  }

  progress(`runner benchmark ${runId}: docker ${docker}, node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  let start: StartResults | undefined;
  let supervise: SuperviseResults | undefined;
  const failures: string[] = [];
  try {
    if (options.phases.includes('start')) {
      const runnerd = await startRunnerd({ registry, script: RUNNERD_SCRIPT, machineId: `bench-${runId}-start`, workDir, dockerSocket: engine.socketPath });
      daemons.push(runnerd);
      progress(`start latency: ${options.warmup} warm-up and ${options.samples} measured rounds of docker run, runctl run, runnerd API, runctl --version`);
      try {
        start = await measureStarts({ engine, runnerd, runctlBin: RUNCTL_BIN, labels, runLabel, aborted: () => aborted, progress }, options);
      } catch (error) {
        failures.push(`start latency: ${(error as Error).message}`);
      }
      await runnerd.process.stop(3000);
    }
    if (options.phases.includes('supervise') && !aborted) {
      const machineId = `bench-${runId}-sup`;
      const runnerd = await startRunnerd({ registry, script: RUNNERD_SCRIPT, machineId, workDir, dockerSocket: engine.socketPath });
      daemons.push(runnerd);
      try {
        supervise = await measureSupervision({ engine, runnerd, machineId, labels, runLabel, aborted: () => aborted, progress }, options);
      } catch (error) {
        failures.push(`supervision: ${(error as Error).message}`);
      }
    }
  } finally {
    const troubled = failures.length + (start?.errors.length ?? 0) + (supervise?.errors.length ?? 0) + (supervise?.notRestarted ?? 0) + (supervise?.burstNotRestarted ?? 0) > 0;
    if (troubled) keepLogs(workDir, stamp);
    if (!aborted) {
      progress(`removing every container labelled ${runLabel}`);
      await cleanup.run();
    }
  }
  if (aborted) return 130;

  process.stdout.write('\n');
  if (start) process.stdout.write(`${formatStartTable(start, options.image)}${start.errors.map((e) => `  ERROR ${e}\n`).join('')}\n`);
  if (supervise) process.stdout.write(`${formatSuperviseTable(supervise)}${supervise.errors.map((e) => `  ERROR ${e}\n`).join('')}\n`);
  for (const failure of failures) process.stdout.write(`ERROR ${failure}\n`);
  const targets = targetLines(start, supervise);
  if (targets.length) process.stdout.write(`Targets (runner issue):\n${targets.map((line) => `  ${line}`).join('\n')}\n`);
  process.stdout.write(`\nload average at the end: ${os.loadavg().map((n) => n.toFixed(2)).join(' ')} (shared machine: compare ratios, not absolute figures)\n`);

  if (options.json) writeJson(stamp, startedAt, options, { docker, runId, start, supervise, failures, targets });
  const errors = failures.length + (start?.errors.length ?? 0) + (supervise?.errors.length ?? 0);
  return errors > 0 ? 1 : 0;
}

/** runnerd's logs, kept when something went wrong (the work dir goes with the cleanup). */
function keepLogs(workDir: string, stamp: string): void {
  const dir = path.join(workspaceRoot, 'tmp', 'bench', `runner-${stamp}-logs`);
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(workDir).filter((name) => name.endsWith('.log'))) copyFileSync(path.join(workDir, file), path.join(dir, file));
  progress(`runnerd logs kept in ${path.relative(process.cwd(), dir) || dir}`);
}

function writeJson(stamp: string, startedAt: Date, options: RunnerBenchOptions, outcome: Record<string, unknown>): void {
  const dir = path.join(workspaceRoot, 'tmp', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `runner-${stamp}.json`);
  const document = {
    benchmark: 'runner',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options,
    setup: { node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg() },
    ...outcome,
  };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`results written to ${path.relative(process.cwd(), file) || file}\n`);
}
