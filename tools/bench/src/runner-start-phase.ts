import { sleep } from './http-client.js';
import type { RunnerBenchOptions } from './runner-args.js';
import { nowMs, runnerdRequest, timeCommand, type BenchRunnerd } from './runner-daemon.js';
import type { BenchEngine } from './runner-docker.js';
import type { StartResults } from './runner-report.js';
import { roundOrder } from './runner-stats.js';

export interface StartPhaseContext {
  engine: BenchEngine;
  runnerd: BenchRunnerd;
  runctlBin: string;
  /** KEY=VALUE labels every container gets (how cleanup finds them). */
  labels: Record<string, string>;
  /** The engine event filter selecting this run's containers. */
  runLabel: string;
  aborted: () => boolean;
  progress: (text: string) => void;
}

type System = 'docker' | 'runctl' | 'api' | 'startup';
const SYSTEMS: readonly System[] = ['docker', 'runctl', 'api', 'startup'];

/**
 * `docker run -d` and `runctl run -d` of the same image and command, one after the other in a
 * rotating order, each sample's container removed before the next sample (outside the timing).
 * The API-only start and runctl's bare start-up are measured in the same rotation, to tell where
 * runctl's extra time goes.
 */
export async function measureStarts(context: StartPhaseContext, options: RunnerBenchOptions): Promise<StartResults> {
  const { engine, runnerd, labels } = context;
  const results: StartResults = { samples: options.samples, docker: [], runctl: [], api: [], dockerToStartEvent: [], runctlToStartEvent: [], runctlStartup: [], errors: [] };
  const startEvents = new Map<string, number>();
  const events = await engine.events(context.runLabel, (event) => {
    if (event.action === 'start' && !startEvents.has(event.id)) startEvents.set(event.id, event.atMs);
  });
  const command = ['sleep', '3600'];
  const labelFlags = Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
  const runctlEnv = { ...process.env, RUNCTL_ENDPOINT: runnerd.url };

  const startOne = async (system: System): Promise<{ ms: number; id?: string; startedAtMs: number }> => {
    switch (system) {
      case 'docker': {
        const run = await timeCommand('docker', ['run', '-d', ...labelFlags, options.image, ...command]);
        if (run.code !== 0) throw new Error(`docker run exited ${run.code}: ${run.stderr.trim()}`);
        return { ms: run.ms, id: run.stdout.trim(), startedAtMs: run.startedAtMs };
      }
      case 'runctl': {
        const run = await timeCommand(process.execPath, [context.runctlBin, 'run', '-d', ...labelFlags, options.image, ...command], runctlEnv);
        if (run.code !== 0) throw new Error(`runctl run exited ${run.code}: ${run.stderr.trim()}`);
        return { ms: run.ms, id: run.stdout.trim(), startedAtMs: run.startedAtMs };
      }
      case 'api': {
        const startedAtMs = nowMs();
        const answer = await runnerdRequest(runnerd.url, 'POST', '/v1/containers', { image: options.image, command, labels });
        const ms = nowMs() - startedAtMs;
        if (answer.status !== 201) throw new Error(`runnerd POST /v1/containers answered ${answer.status}: ${JSON.stringify(answer.json).slice(0, 300)}`);
        return { ms, id: (answer.json as { id: string }).id, startedAtMs };
      }
      case 'startup': {
        const run = await timeCommand(process.execPath, [context.runctlBin, '--version'], runctlEnv);
        if (run.code !== 0) throw new Error(`runctl --version exited ${run.code}: ${run.stderr.trim()}`);
        return { ms: run.ms, startedAtMs: run.startedAtMs };
      }
    }
  };

  try {
    const rounds = options.warmup + options.samples;
    for (let round = 0; round < rounds && !context.aborted(); round += 1) {
      const measured = round >= options.warmup;
      for (const system of roundOrder(SYSTEMS, round)) {
        if (context.aborted()) break;
        let sample;
        try {
          sample = await startOne(system);
        } catch (error) {
          results.errors.push(`${system}: ${(error as Error).message}`);
          if (results.errors.length >= 5) throw new Error(`giving up after 5 failed starts:\n  ${results.errors.join('\n  ')}`, { cause: error });
          continue;
        }
        if (sample.id !== undefined) {
          const id = sample.id;
          if (!(await engine.isRunning(id))) results.errors.push(`${system}: container ${id.slice(0, 12)} was not running after the command returned`);
          // The engine sends the event before it answers the start; the stream may bring it a little later.
          const deadline = Date.now() + 2000;
          while (!startEvents.has(id) && Date.now() < deadline) await sleep(10);
          const eventAt = startEvents.get(id);
          if (measured && eventAt !== undefined) {
            if (system === 'docker') results.dockerToStartEvent.push(eventAt - sample.startedAtMs);
            if (system === 'runctl') results.runctlToStartEvent.push(eventAt - sample.startedAtMs);
          }
          await engine.remove(id);
        }
        if (!measured) continue;
        if (system === 'docker') results.docker.push(sample.ms);
        else if (system === 'runctl') results.runctl.push(sample.ms);
        else if (system === 'api') results.api.push(sample.ms);
        else results.runctlStartup.push(sample.ms);
      }
      if (measured && (round - options.warmup + 1) % 10 === 0) context.progress(`start latency: ${round - options.warmup + 1}/${options.samples} rounds`);
    }
  } finally {
    events.close();
  }
  return results;
}
