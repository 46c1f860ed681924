import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { putValue } from './http-client.js';
import { summarizeLatencies, type LatencySummary } from './percentiles.js';

export interface LatencyPhaseOptions {
  leaderUrl: string;
  requests: number;
  keySpace: number;
  valueBytes: number;
  /** The whole phase gives up (with what it has) after this long. */
  budgetMs: number;
}

/**
 * Sequential write latency: one client, one keep-alive connection, one PUT at a time to the leader,
 * each timed from send to the end of the response. A short warm-up is not counted.
 */
export async function measureWriteLatency(options: LatencyPhaseOptions): Promise<LatencySummary & { errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const value = 'v'.repeat(options.valueBytes);
  const samples: number[] = [];
  let errors = 0;
  const deadline = performance.now() + options.budgetMs;
  try {
    const warmUp = Math.min(50, Math.ceil(options.requests / 20));
    for (let i = 0; i < warmUp + options.requests && performance.now() < deadline; i += 1) {
      const key = `bench/k${Math.floor(Math.random() * options.keySpace)}`;
      const started = performance.now();
      let ok = false;
      try {
        const answer = await putValue(options.leaderUrl, key, value, agent, 5000);
        ok = answer.status === 200 || answer.status === 201;
      } catch {
        ok = false;
      }
      const elapsed = performance.now() - started;
      if (i < warmUp) continue;
      if (ok) samples.push(elapsed);
      else errors += 1;
    }
  } finally {
    agent.destroy();
  }
  if (samples.length === 0) throw new Error(`no write succeeded (${errors} errors)`);
  return { ...summarizeLatencies(samples), errors };
}
