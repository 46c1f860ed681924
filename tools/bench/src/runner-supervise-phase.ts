import { sleep } from './http-client.js';
import type { RunnerBenchOptions } from './runner-args.js';
import { clockTicksPerSecond, cpuTicksOf, memoryOf, nowMs, runnerdRequest, type BenchRunnerd } from './runner-daemon.js';
import type { BenchEngine } from './runner-docker.js';
import type { SuperviseResults } from './runner-report.js';
import { percentile } from './percentiles.js';

export interface SupervisePhaseContext {
  engine: BenchEngine;
  runnerd: BenchRunnerd;
  machineId: string;
  labels: Record<string, string>;
  runLabel: string;
  aborted: () => boolean;
  progress: (text: string) => void;
}

const RESTART_TIMEOUT_MS = 10_000;
/** The engine starts a burst's containers one after another: on a busy machine that takes a while. */
const BURST_TIMEOUT_MS = 60_000;
const IDLE_WINDOW_MS = 10_000;
const CREATE_PARALLEL = 4;
/** Containers under dockerd's own restart policy, killed in turn with runnerd's: the reference. */
const REFERENCE_CONTAINERS = 20;

/** Waits for the `die` and the following `start` of containers, from the engine's event stream. */
class RestartWatch {
  readonly #die = new Map<string, number>();
  readonly #waiters = new Map<string, (restart: { dieAt: number; startAt: number; seenAt: number }) => void>();

  handle(event: { action: string; id: string; atMs: number }): void {
    if (event.action === 'die') this.#die.set(event.id, event.atMs);
    if (event.action !== 'start') return;
    const dieAt = this.#die.get(event.id);
    const waiter = this.#waiters.get(event.id);
    if (dieAt === undefined || !waiter) return;
    this.#waiters.delete(event.id);
    this.#die.delete(event.id);
    waiter({ dieAt, startAt: event.atMs, seenAt: nowMs() });
  }

  /** Resolves with the restart of `id` after the death that is about to be caused, or undefined after `timeoutMs`. */
  expect(id: string, timeoutMs = RESTART_TIMEOUT_MS): Promise<{ dieAt: number; startAt: number; seenAt: number } | undefined> {
    this.#die.delete(id);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.#waiters.set(id, (restart) => {
        clearTimeout(timer);
        resolve(restart);
      });
    });
  }
}

/**
 * One runnerd with `containers` containers under --restart always: its memory with none and with
 * all of them, its CPU while nothing happens (event-driven supervision costs nothing then), and the
 * time from a container's death (kill -9 of its process) to its restart, beside dockerd's own
 * restart policy on the same machine at the same time.
 */
export async function measureSupervision(context: SupervisePhaseContext, options: RunnerBenchOptions): Promise<SuperviseResults> {
  const { engine, runnerd, progress } = context;
  const n = options.containers;
  const results: SuperviseResults = {
    containers: n,
    createMs: undefined,
    rssIdleKb: undefined,
    rssSupervisingKb: undefined,
    rssAfterKb: undefined,
    rssPeakKb: undefined,
    idleCpuPercent: undefined,
    idleWindowMs: IDLE_WINDOW_MS,
    listMs: undefined,
    deathToRestart: [],
    dockerdDeathToRestart: [],
    killToRestart: [],
    burst: 0,
    burstDeathToRestart: [],
    notRestarted: 0,
    burstNotRestarted: 0,
    errors: [],
  };
  await sleep(1000);
  results.rssIdleKb = memoryOf(runnerd.pid).rssKb;

  progress(`supervision: creating ${n} containers through runnerd (--restart always)`);
  const ids: string[] = new Array<string>(n);
  const createStart = nowMs();
  let next = 0;
  const creator = async () => {
    while (next < n && !context.aborted()) {
      const index = next++;
      const answer = await runnerdRequest(runnerd.url, 'POST', '/v1/containers', {
        image: options.image,
        name: `${context.machineId}-${String(index).padStart(3, '0')}`,
        command: ['sleep', '86400'],
        labels: context.labels,
        restart: { name: 'always', maxRetries: 0 },
      });
      if (answer.status !== 201) throw new Error(`creating container ${index}: runnerd answered ${answer.status}: ${JSON.stringify(answer.json).slice(0, 300)}`);
      ids[index] = (answer.json as { id: string }).id;
      if ((index + 1) % 50 === 0) progress(`supervision: ${index + 1}/${n} created`);
    }
  };
  await Promise.all(Array.from({ length: CREATE_PARALLEL }, creator));
  if (context.aborted()) return results;
  results.createMs = nowMs() - createStart;

  const referenceCount = Math.min(REFERENCE_CONTAINERS, options.deaths);
  const reference: string[] = [];
  for (let i = 0; i < referenceCount && !context.aborted(); i += 1) {
    reference.push(await engine.run({ Image: options.image, Cmd: ['sleep', '86400'], Labels: context.labels, HostConfig: { RestartPolicy: { Name: 'always' } } }));
  }
  const running = await waitForRunning(engine, context.runLabel, n + referenceCount);
  if (context.aborted()) return results;
  if (running < n + referenceCount) results.errors.push(`only ${running} of ${n + referenceCount} containers were running after 60 s`);
  await sleep(3000);
  results.rssSupervisingKb = memoryOf(runnerd.pid).rssKb;

  if (context.aborted()) return results;
  progress(`supervision: runnerd's CPU over ${IDLE_WINDOW_MS / 1000} s with ${n} containers and nothing happening`);
  const ticksBefore = cpuTicksOf(runnerd.pid);
  const windowStart = nowMs();
  await sleep(IDLE_WINDOW_MS);
  const ticksAfter = cpuTicksOf(runnerd.pid);
  if (ticksBefore !== undefined && ticksAfter !== undefined) {
    results.idleCpuPercent = (((ticksAfter - ticksBefore) / clockTicksPerSecond()) * 1000 * 100) / (nowMs() - windowStart);
  }

  const listTimes: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const at = nowMs();
    const answer = await runnerdRequest(runnerd.url, 'GET', '/v1/containers?all=true');
    listTimes.push(nowMs() - at);
    const listed = (answer.json as { containers?: unknown[] }).containers?.length;
    if (listed !== n) results.errors.push(`runnerd listed ${listed} containers, expected ${n}`);
  }
  results.listMs = percentile(listTimes, 50);

  const watch = new RestartWatch();
  const events = await engine.events(context.runLabel, (event) => watch.handle(event));
  try {
    progress(`supervision: killing ${options.deaths} of runnerd's containers one at a time, and in turn ${referenceCount} under dockerd's own restart policy`);
    const killAndWait = async (id: string) => {
      const pid = await engine.pid(id);
      const restarted = watch.expect(id);
      const killedAt = nowMs();
      killProcess(id, pid);
      const restart = await restarted;
      return restart && { deathToRestart: restart.startAt - restart.dieAt, killToRestart: restart.seenAt - killedAt };
    };
    for (let i = 0; i < options.deaths && !context.aborted(); i += 1) {
      const restart = await killAndWait(ids[i] as string);
      if (restart) {
        results.deathToRestart.push(restart.deathToRestart);
        results.killToRestart.push(restart.killToRestart);
      } else results.notRestarted += 1;
      const other = reference[i];
      if (other === undefined || context.aborted()) continue;
      const referenceRestart = await killAndWait(other);
      if (referenceRestart) results.dockerdDeathToRestart.push(referenceRestart.deathToRestart);
      else results.errors.push(`dockerd did not restart its container ${other.slice(0, 12)} within 10 s`);
    }

    // A burst takes containers not killed yet (a container killed again soon after a restart waits a longer backoff).
    const burst = Math.min(options.burst, n - options.deaths);
    results.burst = burst;
    if (burst > 0 && !context.aborted()) {
      progress(`supervision: killing ${burst} containers at once`);
      const victims = ids.slice(options.deaths, options.deaths + burst);
      const pids = await Promise.all(victims.map((id) => engine.pid(id)));
      const restarts = victims.map((id) => watch.expect(id, BURST_TIMEOUT_MS));
      victims.forEach((id, i) => killProcess(id, pids[i] as number));
      for (const restart of await Promise.all(restarts)) {
        if (restart) results.burstDeathToRestart.push(restart.startAt - restart.dieAt);
        else results.burstNotRestarted += 1;
      }
    } else if (options.burst > 0) {
      results.errors.push(`no burst: all ${n} containers were used for the sequential deaths`);
    }
  } finally {
    events.close();
  }
  await sleep(1000);
  const after = memoryOf(runnerd.pid);
  results.rssAfterKb = after.rssKb;
  results.rssPeakKb = after.peakKb;
  return results;
}

/**
 * A crash: SIGKILL to the container's main process from the host. Not `docker kill`, which the
 * engine counts as a manual stop, so that its own restart policy (the reference) would not apply.
 */
function killProcess(id: string, pid: number): void {
  if (pid <= 0) throw new Error(`container ${id.slice(0, 12)} has no process to kill (not running)`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    throw new Error(`kill -9 ${pid} (container ${id.slice(0, 12)}): ${(error as Error).message}; run the benchmark as root on the engine's host`, { cause: error });
  }
}

async function waitForRunning(engine: BenchEngine, label: string, want: number): Promise<number> {
  const deadline = Date.now() + 60_000;
  let running = 0;
  while (Date.now() < deadline) {
    running = (await engine.containersLabelled(label, true)).length;
    if (running >= want) return running;
    await sleep(500);
  }
  return running;
}
