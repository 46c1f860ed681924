// npm run bench -- scheduler: 10,000 units onto 100 simulated machines through a real kvd cluster.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planCluster } from './cluster-plan.js';
import { RunningCluster } from './cluster.js';
import { formatHotFunctions, hottestFunctions, type CpuProfile, type HotFunction } from './cpu-profile.js';
import { request, sleep } from './http-client.js';
import { startBenchRun } from './bench-run.js';
import { freePorts } from './ports.js';
import { ProcessRegistry, type ManagedProcess } from './processes.js';
import { parseSchedulerCommand, SCHEDULER_USAGE, type SchedulerBenchOptions } from './scheduler-args.js';
import { UsageError } from './option-values.js';
import { addCounts, parseEtcdStoreRequests, parseKeysRequests, sampleProcess, total, type ProcSample } from './scheduler-stats.js';

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const KVD_SCRIPT = path.join(workspaceRoot, 'apps/kv/dist/kvd/main.js');
const ETCD_BINARY = '/usr/bin/etcd';
const SIMULATION = path.join(workspaceRoot, 'apps/scheduler/dist/simulation/main.js');
/** The issue's targets. */
const PLACE_TARGET_SECONDS = 30;
const ENGINE_CORE_TARGET = 1;

function progress(text: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
}

interface ProgressLine {
  at: number;
  placed: number;
  launched: number;
  requests: number;
}

function lastLine<T>(file: string, test: (value: Record<string, unknown>) => boolean): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    try {
      const value = JSON.parse(lines[i]!) as Record<string, unknown>;
      if (test(value)) return value as T;
    } catch {
      // a log line that is not ours, or half written
    }
  }
  return undefined;
}

async function waitReady(proc: ManagedProcess, what: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = lastLine<Record<string, unknown>>(proc.logFile!, (value) => value['ready'] === true);
    if (line) return line;
    if (proc.hasExited) throw new Error(`${what} exited:\n${proc.logTail(20)}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs / 1000} s:\n${proc.logTail(20)}`);
    await sleep(100);
  }
}

/** A member's /metrics, patiently: on a loaded host a busy member may take seconds to answer. */
async function metricsOf(url: string): Promise<{ body: string }> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await request(`${url}/metrics`, { timeoutMs: 30_000 });
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function keysRequests(urls: readonly string[], kv: 'kvd' | 'etcd'): Promise<Record<string, number>> {
  let sum: Record<string, number> = {};
  let writes = 0;
  for (const url of urls) {
    const answer = await metricsOf(url);
    const counts = kv === 'kvd' ? parseKeysRequests(answer.body) : parseEtcdStoreRequests(answer.body);
    // etcd counts store operations where they are applied, and every member applies every write: count those once.
    writes = Math.max(writes, counts['write'] ?? 0);
    delete counts['write'];
    sum = addCounts(sum, counts);
  }
  return kv === 'etcd' ? { ...sum, write: writes } : sum;
}

export interface SchedulerFigures {
  submitSeconds: number;
  placedSeconds: number | undefined;
  runningSeconds: number | undefined;
  placed: number;
  running: number;
  /** kv requests (keys API, every member) from the engine's start until all run, the progress poller's own excluded. */
  kvRequests: Record<string, number>;
  kvRequestsPerUnit: number;
  /** The same until all were placed: mostly the engine's own (reads, placements, its watch). */
  kvRequestsPerUnitToPlaced: number | undefined;
  /** Average cores the engine used until all were placed, and until all ran. */
  engineCoresToPlaced: number | undefined;
  engineCoresToRunning: number | undefined;
  /** Highest use over one sampling second. */
  enginePeakCores: number;
  enginePeakRssBytes: number;
  engineCpuSeconds: number;
  machinesCpuSeconds: number;
  /** CPU time of the kv members (kvd or etcd). */
  kvdCpuSeconds: number;
  steady?: { seconds: number; kvRequestsPerSecond: number; engineCores: number; machinesCores: number } | undefined;
}

function cpuOf(samples: readonly (ProcSample | undefined)[]): number {
  return samples.reduce((sum, sample) => sum + (sample?.cpuSeconds ?? 0), 0);
}

async function measure(options: SchedulerBenchOptions, registry: ProcessRegistry, workDir: string, profileDir: string | undefined): Promise<SchedulerFigures> {
  const node = process.execPath;
  const ports = await freePorts(options.kvMembers * 2);
  const kv = RunningCluster.start(planCluster({ system: options.kv, size: options.kvMembers, baseDir: workDir, ports, etcdBinary: ETCD_BINARY, kvdScript: KVD_SCRIPT, nodeBinary: node }), registry);
  await kv.waitReady(60_000, 'bench-ready');
  const endpoints = kv.clientUrls.join(',');
  progress(`${options.kv} cluster of ${options.kvMembers} ready: ${endpoints}`);
  const kvdPids = kv.members.map((member) => member.process.child.pid!);
  const env = { ...process.env, MINICORE_LOG_LEVEL: 'warn' };

  const machines = registry.spawnLogged(node, [SIMULATION, 'machines', '--kv-endpoints', endpoints, '--count', String(options.machines), '--backend', options.backend, '--data-dir', path.join(workDir, 'machines'), '--ttl', '30', '--interval', '5000'], path.join(workDir, 'machines.log'), { env });
  await waitReady(machines, 'the simulated machines', 120_000);
  progress(`${options.machines} machines registered (${options.backend} backend)`);

  const submitter = registry.spawnLogged(node, [SIMULATION, 'submit', '--kv-endpoints', endpoints, '--units', String(options.units), '--concurrency', '64'], path.join(workDir, 'submit.log'), { env });
  // Not measured (a client's writes, before the engine starts), so not bound by --timeout either.
  const submitted = await waitReady(submitter, 'the unit submission', 3_600_000);
  const submitSeconds = Number(submitted['seconds']);
  progress(`${options.units} units submitted in ${submitSeconds.toFixed(1)} s`);

  const progressLog = path.join(workDir, 'progress.log');
  const poller = registry.spawnLogged(node, [SIMULATION, 'progress', '--kv-endpoints', endpoints, '--every', '1000'], progressLog, { env });
  await waitReady(poller, 'the progress poller', 30_000);
  await sleep(500);
  const latest = () => lastLine<ProgressLine>(progressLog, (value) => typeof value['placed'] === 'number');
  const before = { requests: await keysRequests(kv.clientUrls, options.kv), poller: latest()?.requests ?? 0 };
  const machinesPid = machines.child.pid!;
  const startCpu = { machines: cpuOf([sampleProcess(machinesPid)]), kvd: cpuOf(kvdPids.map(sampleProcess)) };

  const profileFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-name=engine.cpuprofile'] : [];
  const engineStart = performance.now();
  const engine = registry.spawnLogged(node, [...profileFlags, SIMULATION, 'engine', '--kv-endpoints', endpoints, '--machine-id', 'bench-engine', '--interval', '2000', '--placement', options.placement], path.join(workDir, 'engine.log'), { env: { ...env, MINICORE_LOG_LEVEL: 'info' } });
  const enginePid = engine.child.pid!;
  let placedSeconds: number | undefined;
  let runningSeconds: number | undefined;
  let engineCpuAtPlaced: number | undefined;
  let requestsAtPlaced: { requests: Record<string, number>; poller: number } | undefined;
  let last: ProgressLine | undefined;
  let peakCores = 0;
  let window = { at: engineStart, cpu: 0 };
  let engineSample: ProcSample | undefined;
  const deadline = engineStart + options.timeoutSeconds * 1000;
  while (runningSeconds === undefined && performance.now() < deadline) {
    await sleep(100);
    if (engine.hasExited) throw new Error(`the engine exited:\n${engine.logTail(20)}`);
    engineSample = sampleProcess(enginePid) ?? engineSample;
    const now = performance.now();
    if (engineSample && now - window.at >= 1000) {
      peakCores = Math.max(peakCores, (engineSample.cpuSeconds - window.cpu) / ((now - window.at) / 1000));
      window = { at: now, cpu: engineSample.cpuSeconds };
    }
    const line = latest();
    if (line && line !== last && line.at >= Date.now() - (now - engineStart)) {
      last = line;
      if (placedSeconds === undefined && line.placed >= options.units) {
        placedSeconds = (now - engineStart) / 1000;
        engineCpuAtPlaced = engineSample?.cpuSeconds;
        progress(`all ${options.units} placed after ${placedSeconds.toFixed(1)} s`);
        requestsAtPlaced = { requests: await keysRequests(kv.clientUrls, options.kv), poller: line.requests };
      }
      if (line.launched >= options.units) {
        runningSeconds = (now - engineStart) / 1000;
        progress(`all ${options.units} running after ${runningSeconds.toFixed(1)} s`);
      }
    }
  }
  const endSample = sampleProcess(enginePid) ?? engineSample;
  const after = { requests: await keysRequests(kv.clientUrls, options.kv), poller: latest()?.requests ?? 0 };
  const machinesCpu = cpuOf([sampleProcess(machinesPid)]) - startCpu.machines;
  const kvdCpu = cpuOf(kvdPids.map(sampleProcess)) - startCpu.kvd;
  // The poller's own reads are not the scheduler's: take them out (GETs; etcd counts a read as one store read too).
  const since = (at: { requests: Record<string, number>; poller: number }) => addCounts(addCounts(at.requests, before.requests, -1), { GET: at.poller - before.poller }, -1);
  const kvRequests = since(after);
  const kvRequestsToPlaced = requestsAtPlaced ? since(requestsAtPlaced) : undefined;
  const wall = (performance.now() - engineStart) / 1000;

  let steady: SchedulerFigures['steady'];
  if (options.steadySeconds > 0 && runningSeconds !== undefined) {
    progress(`measuring ${options.steadySeconds} s at rest`);
    const from = { requests: await keysRequests(kv.clientUrls, options.kv), poller: latest()?.requests ?? 0, engine: sampleProcess(enginePid)?.cpuSeconds ?? 0, machines: sampleProcess(machinesPid)?.cpuSeconds ?? 0, at: performance.now() };
    await sleep(options.steadySeconds * 1000);
    const to = { requests: await keysRequests(kv.clientUrls, options.kv), poller: latest()?.requests ?? 0, engine: sampleProcess(enginePid)?.cpuSeconds ?? 0, machines: sampleProcess(machinesPid)?.cpuSeconds ?? 0, at: performance.now() };
    const seconds = (to.at - from.at) / 1000;
    steady = {
      seconds,
      kvRequestsPerSecond: (total(addCounts(to.requests, from.requests, -1)) - (to.poller - from.poller)) / seconds,
      engineCores: (to.engine - from.engine) / seconds,
      machinesCores: (to.machines - from.machines) / seconds,
    };
  }
  await engine.stop(10_000);
  await Promise.all([machines.stop(), poller.stop()]);
  await kv.stop();
  return {
    submitSeconds,
    placedSeconds,
    runningSeconds,
    placed: last?.placed ?? 0,
    running: last?.launched ?? 0,
    kvRequests,
    kvRequestsPerUnit: total(kvRequests) / options.units,
    kvRequestsPerUnitToPlaced: kvRequestsToPlaced ? total(kvRequestsToPlaced) / options.units : undefined,
    engineCoresToPlaced: placedSeconds !== undefined && engineCpuAtPlaced !== undefined ? engineCpuAtPlaced / placedSeconds : undefined,
    engineCoresToRunning: runningSeconds !== undefined && endSample ? endSample.cpuSeconds / wall : undefined,
    enginePeakCores: peakCores,
    enginePeakRssBytes: endSample?.peakRssBytes ?? 0,
    engineCpuSeconds: endSample?.cpuSeconds ?? 0,
    machinesCpuSeconds: machinesCpu,
    kvdCpuSeconds: kvdCpu,
    steady,
  };
}

function seconds(value: number | undefined): string {
  return value === undefined ? 'not reached' : `${value.toFixed(1)} s`;
}

function report(options: SchedulerBenchOptions, figures: SchedulerFigures): { text: string; targets: string[] } {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const byMethod = Object.entries(figures.kvRequests).filter(([, n]) => n !== 0).map(([method, n]) => `${method} ${n}`).join(', ');
  const lines = [
    `scheduler: ${options.units} units onto ${options.machines} simulated machines (${options.backend === 'noop' ? 'no-op UnitBackend test double' : 'exec backend, real processes'}), ${options.kvMembers}-member ${options.kv === 'kvd' ? 'kvd' : 'etcd 3.4'} cluster, placement by ${options.placement}`,
    '',
    `  units submitted (API writes, before the engine starts)  ${seconds(figures.submitSeconds)}`,
    `  all placed (from the engine's start)                    ${seconds(figures.placedSeconds)}${figures.placedSeconds === undefined ? ` (${figures.placed} of ${options.units})` : ''}`,
    `  all reported running (launched where placed)            ${seconds(figures.runningSeconds)}${figures.runningSeconds === undefined ? ` (${figures.running} of ${options.units})` : ''}`,
    `  kv requests per unit until all placed                   ${figures.kvRequestsPerUnitToPlaced === undefined ? 'n/a' : figures.kvRequestsPerUnitToPlaced.toFixed(2)}`,
    `  kv requests per unit (engine + agents) until ${figures.runningSeconds === undefined ? 'timeout  ' : 'all run  '}  ${figures.kvRequestsPerUnit.toFixed(2)}  (${byMethod})`,
    `  engine CPU until all placed (average)                   ${figures.engineCoresToPlaced === undefined ? 'n/a' : `${figures.engineCoresToPlaced.toFixed(2)} cores`}`,
    `  engine CPU until all running (average)                  ${figures.engineCoresToRunning === undefined ? 'n/a' : `${figures.engineCoresToRunning.toFixed(2)} cores`}`,
    `  engine CPU, busiest second                              ${figures.enginePeakCores.toFixed(2)} cores`,
    `  engine CPU time / peak memory (RSS)                     ${figures.engineCpuSeconds.toFixed(1)} s / ${mib(figures.enginePeakRssBytes)}`,
    `  CPU time of the machines' process / the ${options.kv} members${options.kv === 'kvd' ? ' ' : ''}    ${figures.machinesCpuSeconds.toFixed(1)} s / ${figures.kvdCpuSeconds.toFixed(1)} s`,
  ];
  if (figures.steady) {
    lines.push(`  at rest (${figures.steady.seconds.toFixed(0)} s after): kv requests/s ${figures.steady.kvRequestsPerSecond.toFixed(0)}, engine ${figures.steady.engineCores.toFixed(2)} cores, machines ${figures.steady.machinesCores.toFixed(2)} cores`);
  }
  const targets: string[] = [];
  const full = options.units >= 10_000 && options.machines >= 100;
  const scope = full ? '' : ` (at ${options.units} units / ${options.machines} machines; the target is for 10,000 / 100)`;
  const placedMet = figures.placedSeconds !== undefined && figures.placedSeconds < PLACE_TARGET_SECONDS;
  targets.push(`${placedMet ? 'met   ' : 'MISSED'} all placed in under ${PLACE_TARGET_SECONDS} s: ${seconds(figures.placedSeconds)}${scope}`);
  const cores = figures.engineCoresToPlaced;
  const coresMet = cores !== undefined && cores < ENGINE_CORE_TARGET && figures.enginePeakCores < ENGINE_CORE_TARGET * 1.05;
  targets.push(`${coresMet ? 'met   ' : 'MISSED'} engine under one core: average ${cores === undefined ? 'n/a' : cores.toFixed(2)}, busiest second ${figures.enginePeakCores.toFixed(2)}${scope}`);
  return { text: lines.join('\n'), targets };
}

/**
 * With `--backend exec` the units are real processes, in process groups of their own that outlive
 * schedulerd by design (a restart must not stop them): end them by the pid files the exec backend
 * keeps (`<machine>/units/<unit>/run.json`).
 */
function killUnitProcesses(machinesDir: string): void {
  if (!existsSync(machinesDir)) return;
  for (const machine of readdirSync(machinesDir)) {
    const units = path.join(machinesDir, machine, 'units');
    if (!existsSync(units)) continue;
    for (const unit of readdirSync(units)) {
      try {
        const { pid } = JSON.parse(readFileSync(path.join(units, unit, 'run.json'), 'utf8')) as { pid: number };
        process.kill(-pid, 'SIGKILL');
      } catch {
        // not running, or gone already
      }
    }
  }
}

function summarizeProfile(dir: string): HotFunction[] {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  return file ? hottestFunctions(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile, 20) : [];
}

export async function runSchedulerBenchmark(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseSchedulerCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError) && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') !== true) throw error;
    process.stderr.write(`bench: ${(error as Error).message}\n\n${SCHEDULER_USAGE}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${command.text}\n`);
    return 0;
  }
  const options = command.options;
  for (const file of [options.kv === 'kvd' ? KVD_SCRIPT : ETCD_BINARY, SIMULATION]) if (!existsSync(file)) throw new Error(`${file} is missing: ${file === ETCD_BINARY ? 'apt-get install etcd-server' : 'build first (npx nx run-many -t build)'}`);

  const { registry, workDir, startedAt, stamp, end } = startBenchRun(progress, (dir) => killUnitProcesses(path.join(dir, 'machines')));
  const profileDir = options.cpuProf ? path.join(workspaceRoot, 'tmp', 'bench', 'profiles', `scheduler-${stamp}`) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  progress(`scheduler benchmark: node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  let figures: SchedulerFigures;
  try {
    figures = await measure(options, registry, workDir, profileDir);
  } finally {
    end();
  }
  const { text, targets } = report(options, figures);
  process.stdout.write(`\n${text}\n\nTargets (scheduler issue):\n${targets.map((line) => `  ${line}`).join('\n')}\n`);
  process.stdout.write(`\nload average at the end: ${os.loadavg().map((n) => n.toFixed(2)).join(' ')} (shared ${os.cpus().length}-core machine: kvd, the machines and the engine share it)\n`);
  let hot: HotFunction[] = [];
  if (profileDir) {
    hot = summarizeProfile(profileDir);
    process.stdout.write(`\nengine's hottest functions (self time; profile in ${path.relative(process.cwd(), profileDir)}):\n${formatHotFunctions(hot)}\n`);
  }
  if (options.json) {
    const dir = path.join(workspaceRoot, 'tmp', 'bench');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `scheduler-${stamp}.json`);
    writeFileSync(file, `${JSON.stringify({ benchmark: 'scheduler', startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), options, setup: { node: process.version, cpus: os.cpus().length }, figures, targets, ...(hot.length ? { engineHotFunctions: hot } : {}) }, null, 2)}\n`);
    process.stdout.write(`results written to ${path.relative(process.cwd(), file) || file}\n`);
  }
  return figures.runningSeconds === undefined ? 1 : 0;
}
