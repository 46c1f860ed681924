import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { KvBenchOptions, KvSystem } from './args.js';
import { RunningCluster } from './cluster.js';
import { ELECTION_MS, HEARTBEAT_MS, planCluster } from './cluster-plan.js';
import { measureWriteLatency } from './latency-phase.js';
import { freePorts } from './ports.js';
import type { ProcessRegistry } from './processes.js';
import type { Figures } from './table.js';
import { describeSyncs, parseSyncCounters, summarizeSyncs, type SyncCounters, type SyncSummary } from './disk-metrics.js';
import { request } from './http-client.js';
import { formatHotFunctions, hottestFunctions, type CpuProfile, type HotFunction } from './cpu-profile.js';
import { measureWatchFanout, type WatchPhaseResult } from './watch-phase.js';
import { runWrk, writePutScript } from './wrk-phase.js';
import { processCpuSeconds, type PhaseCpu } from './process-cpu.js';
import { successfulRate, type WrkResult } from './wrk-output.js';

export const KEY_SPACE = 10_000;
export const VALUE_BYTES = 64;
const READ_KEY = 'bench/read';
const WATCHED_KEY = 'bench/watched';

export interface SystemRun {
  system: KvSystem;
  size: number;
  figures: Figures;
  leader?: string;
  latency?: Awaited<ReturnType<typeof measureWriteLatency>>;
  wrk: Partial<Record<'write' | 'read' | 'quorumRead', WrkResult & { command: string }>>;
  watch?: WatchPhaseResult;
  /** The leader's durable log writes during the write-throughput phase, from its /metrics. */
  writeSyncs?: SyncSummary;
  /** The same for each follower (member name -> summary). */
  followerWriteSyncs?: Record<string, SyncSummary>;
  /** With --cpu-prof: where the profiles are and the leader's hottest functions. */
  profile?: { dir: string; leaderHot: HotFunction[] };
  /** CPU the members used in each wrk phase (Linux only): less noisy than throughput on a shared machine. */
  cpu?: Partial<Record<'write' | 'read' | 'quorumRead', PhaseCpu>>;
  /** Phases that failed, with why; their figures are missing from the table. */
  errors: string[];
}

export interface KvBenchEnvironment {
  registry: ProcessRegistry;
  workDir: string;
  etcdBinary: string;
  kvdScript: string;
  progress: (text: string) => void;
  /** With --cpu-prof: kvd profiles go to <profilesDir>/kvd-<size>/. */
  profilesDir?: string;
}

export function etcdVersion(etcdBinary: string): string {
  try {
    return /etcd Version: (\S+)/.exec(execFileSync(etcdBinary, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return 'not found';
  }
}

async function readSyncCounters(system: KvSystem, url: string): Promise<SyncCounters | undefined> {
  try {
    const answer = await request(`${url}/metrics`, { timeoutMs: 3000 });
    return answer.status === 200 ? parseSyncCounters(answer.body, system) : undefined;
  } catch {
    return undefined;
  }
}

async function phase<T>(run: SystemRun, name: string, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    run.errors.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

function describeWrk(result: WrkResult): string {
  const socketErrors = Object.values(result.socketErrors).reduce((sum, n) => sum + n, 0);
  const problems = [result.non2xx ? `${result.non2xx} non-2xx` : '', socketErrors ? `${socketErrors} socket errors` : ''].filter(Boolean);
  return `${Math.round(successfulRate(result)).toLocaleString('en-US')} req/s${problems.length ? ` (${problems.join(', ')})` : ''}`;
}

/** One system at one cluster size: start it fresh, run every phase, stop it, delete its data. */
export async function benchSystem(env: KvBenchEnvironment, options: KvBenchOptions, system: KvSystem, size: number): Promise<SystemRun> {
  const label = `[${system}, ${size} member${size === 1 ? '' : 's'}]`;
  const say = (text: string) => env.progress(`${label} ${text}`);
  const run: SystemRun = { system, size, figures: {}, wrk: {}, errors: [] };
  const baseDir = path.join(env.workDir, `${system}-${size}`);
  const cpuProfileDir = system === 'kvd' && env.profilesDir ? path.join(env.profilesDir, `kvd-${size}`) : undefined;
  if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });
  const plans = planCluster({
    ...(cpuProfileDir ? { cpuProfileDir } : {}),
    system,
    size,
    baseDir,
    ports: await freePorts(size * 2),
    etcdBinary: env.etcdBinary,
    kvdScript: env.kvdScript,
    nodeBinary: process.execPath,
  });
  say(`starting (heartbeat ${HEARTBEAT_MS} ms, election ${ELECTION_MS} ms, data in ${baseDir})`);
  const cluster = RunningCluster.start(plans, env.registry);
  try {
    const leader = await cluster.waitReady(60_000, READ_KEY);
    run.leader = leader.plan.name;
    const leaderUrl = leader.plan.clientUrl;
    say(`ready, leader ${leader.plan.name} at ${leaderUrl}`);

    const wanted = new Set(options.phases);
    if (wanted.has('latency')) {
      say(`sequential write latency: ${options.latencyRequests} PUTs, one client...`);
      run.latency = await phase(run, 'write latency', () =>
        measureWriteLatency({ leaderUrl, requests: options.latencyRequests, keySpace: KEY_SPACE, valueBytes: VALUE_BYTES, budgetMs: 180_000 }),
      );
    }
    if (run.latency) {
      run.figures.writeP50Ms = run.latency.p50Ms;
      run.figures.writeP99Ms = run.latency.p99Ms;
      say(`  p50 ${run.latency.p50Ms.toFixed(2)} ms, p99 ${run.latency.p99Ms.toFixed(2)} ms over ${run.latency.count} PUTs${run.latency.errors ? `, ${run.latency.errors} errors` : ''}`);
    }

    const wrkCommon = { connections: options.connections, threads: 2, durationSeconds: options.durationSeconds };
    const putScript = { file: writePutScript(baseDir), args: [String(KEY_SPACE), String(VALUE_BYTES)] };
    const wrkPhases = [
      { id: 'write', phase: 'write', metric: 'writeRps', title: 'write throughput', url: `${leaderUrl}/v2/keys/bench`, script: putScript },
      { id: 'read', phase: 'read', metric: 'readRps', title: 'read throughput', url: `${leaderUrl}/v2/keys/${READ_KEY}` },
      { id: 'quorumRead', phase: 'quorum', metric: 'quorumReadRps', title: 'quorum read throughput', url: `${leaderUrl}/v2/keys/${READ_KEY}?quorum=true` },
    ] as const;
    for (const wrkPhase of wrkPhases.filter((p) => wanted.has(p.phase))) {
      say(`${wrkPhase.title}: wrk -c${options.connections} -t2 -d${options.durationSeconds}s to the leader...`);
      const followers = cluster.members.filter((member) => member !== leader);
      const syncsBefore = wrkPhase.id === 'write' ? await readSyncCounters(system, leaderUrl) : undefined;
      const followerSyncsBefore = syncsBefore ? await Promise.all(followers.map((member) => readSyncCounters(system, member.plan.clientUrl))) : [];
      const cpuBefore = cluster.members.map((member) => processCpuSeconds(member.process.child.pid));
      const result = await phase(run, wrkPhase.title, () => runWrk(env.registry, { ...wrkCommon, url: wrkPhase.url, ...('script' in wrkPhase ? { script: wrkPhase.script } : {}) }));
      const cpuAfter = cluster.members.map((member) => processCpuSeconds(member.process.child.pid));
      if (result && result.requests - result.non2xx > 0 && cpuBefore.every((n) => n !== undefined) && cpuAfter.every((n) => n !== undefined)) {
        const seconds = Object.fromEntries(cluster.members.map((member, i) => [member.plan.name, (cpuAfter[i] as number) - (cpuBefore[i] as number)]));
        const total = Object.values(seconds).reduce((sum, n) => sum + n, 0);
        (run.cpu ??= {})[wrkPhase.id] = { seconds, msPerRequest: (total * 1000) / (result.requests - result.non2xx) };
      }
      const syncsAfter = syncsBefore ? await readSyncCounters(system, leaderUrl) : undefined;
      const followerSyncsAfter = syncsBefore ? await Promise.all(followers.map((member) => readSyncCounters(system, member.plan.clientUrl))) : [];
      if (result && syncsBefore && syncsAfter) {
        run.writeSyncs = summarizeSyncs(syncsBefore, syncsAfter, result.durationSeconds);
        say(`  ${describeSyncs(run.writeSyncs)}`);
        followers.forEach((member, i) => {
          const before = followerSyncsBefore[i];
          const after = followerSyncsAfter[i];
          if (before && after) (run.followerWriteSyncs ??= {})[member.plan.name] = summarizeSyncs(before, after, result.durationSeconds);
        });
      }
      if (result) {
        run.wrk[wrkPhase.id] = result;
        run.figures[wrkPhase.metric] = successfulRate(result);
        say(`  ${describeWrk(result)}`);
      }
    }

    if (wanted.has('watch')) {
      say(`watch fan-out: ${options.watchers} long-poll watchers over ${size} member${size === 1 ? '' : 's'}...`);
      run.watch = await phase(run, 'watch fan-out', () =>
        measureWatchFanout({
          memberUrls: cluster.clientUrls,
          leaderUrl,
          watchers: options.watchers,
          key: WATCHED_KEY,
          budgetMs: 60_000,
          settleMs: 3000,
          onProgress: (text) => say(`  ${text}`),
        }),
      );
      if (run.watch) {
        if (run.watch.answered === run.watch.watchers) run.figures.watchFanoutMs = run.watch.lastAnsweredMs;
        else run.errors.push(`watch fan-out: only ${run.watch.answered} of ${run.watch.watchers} watchers answered in time`);
        say(`  write acknowledged after ${run.watch.writeAckMs.toFixed(1)} ms; first watcher ${run.watch.firstAnsweredMs.toFixed(1)} ms, last ${run.watch.lastAnsweredMs.toFixed(1)} ms`);
      }
    }
    const dead = cluster.members.find((member) => member.process.hasExited);
    if (dead) run.errors.push(`${dead.plan.name} exited during the run:\n${dead.process.logTail()}`);
  } catch (error) {
    run.errors.push((error as Error).message);
  } finally {
    say('stopping');
    // a profiled process needs a moment to write its profile on the way out
    await cluster.stop(cpuProfileDir ? 30_000 : 5000);
    rmSync(baseDir, { recursive: true, force: true });
  }
  if (cpuProfileDir && run.leader) {
    const file = path.join(cpuProfileDir, `${run.leader}.cpuprofile`);
    if (existsSync(file)) {
      const leaderHot = hottestFunctions(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 20);
      run.profile = { dir: cpuProfileDir, leaderHot };
      say(`CPU profile of the leader (${file}), self time:\n${formatHotFunctions(leaderHot)}`);
    } else {
      run.errors.push(`cpu profile: ${file} was not written`);
    }
  }
  for (const error of run.errors) say(`ERROR ${error}`);
  return run;
}
