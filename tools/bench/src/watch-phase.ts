import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { getJson, putValue, sleep } from './http-client.js';

export interface WatchPhaseOptions {
  memberUrls: readonly string[];
  leaderUrl: string;
  watchers: number;
  key: string;
  /** Longest wait for the watchers to register, then for all of them to be answered. */
  budgetMs: number;
  /** Without a watcher count in /v2/stats/store, wait this long after the last watch was sent. */
  settleMs: number;
  onProgress?: (text: string) => void;
}

export interface WatchPhaseResult {
  watchers: number;
  answered: number;
  /** From sending the write to the end of the last watcher's response. */
  lastAnsweredMs: number;
  firstAnsweredMs: number;
  writeAckMs: number;
  /** How registration was confirmed: the members' watcher counts, or a settle time. */
  registration: 'stats' | 'settle';
}

/** Sum of /v2/stats/store `watchers` over the members, or undefined if a member does not report it. */
async function registeredWatchers(urls: readonly string[]): Promise<number | undefined> {
  const counts = await Promise.all(
    urls.map(async (url) => (await getJson<{ watchers?: unknown }>(`${url}/v2/stats/store`, undefined, 2000)).watchers),
  );
  if (counts.some((count) => typeof count !== 'number')) return undefined;
  return (counts as number[]).reduce((sum, count) => sum + count, 0);
}

/**
 * Time from one write to N long-poll watchers answered: N `?wait=true` GETs spread round-robin over
 * the members on keep-alive connections, registration confirmed, one PUT to the leader, then the
 * time until the last watcher has its whole response.
 */
export async function measureWatchFanout(options: WatchPhaseOptions): Promise<WatchPhaseResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.watchers + 16, maxFreeSockets: options.watchers + 16 });
  const requests: http.ClientRequest[] = [];
  const answeredAt: number[] = [];
  const state: { failure?: Error } = {};
  // a function, not a property read: the failure is set from callbacks between awaits
  const failure = (): Error | undefined => state.failure;
  let allAnswered: () => void = () => undefined;
  const everyoneAnswered = new Promise<void>((resolve) => (allAnswered = resolve));
  const deadline = performance.now() + options.budgetMs;
  try {
    for (let i = 0; i < options.watchers; i += 1) {
      const url = `${options.memberUrls[i % options.memberUrls.length]}/v2/keys/${options.key}?wait=true`;
      const req = http.get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) state.failure ??= new Error(`watcher answered ${res.statusCode}`);
          answeredAt.push(performance.now());
          if (answeredAt.length === options.watchers) allAnswered();
        });
      });
      req.on('error', (error) => {
        state.failure ??= error;
        allAnswered();
      });
      requests.push(req);
      // a breather every 100 so that the accept queues keep up
      if (i % 100 === 99) await sleep(5);
    }

    let registration: WatchPhaseResult['registration'] = 'stats';
    const settleUntil = performance.now() + options.settleMs;
    for (;;) {
      if (failure()) throw failure() as Error;
      if (answeredAt.length > 0) throw new Error(`${answeredAt.length} watchers were answered before the write`);
      if (performance.now() > deadline) throw new Error('watchers did not register in time');
      const count = await registeredWatchers(options.memberUrls).catch(() => undefined);
      if (count === undefined) {
        registration = 'settle';
        if (performance.now() >= settleUntil) break;
      } else if (count >= options.watchers) {
        break;
      } else {
        options.onProgress?.(`${count}/${options.watchers} watchers registered`);
      }
      await sleep(100);
    }

    const started = performance.now();
    const write = putValue(options.leaderUrl, options.key, 'fired').then((answer) => {
      if (answer.status !== 200 && answer.status !== 201) throw new Error(`the watched write answered ${answer.status}`);
      return performance.now() - started;
    });
    const remaining = Math.max(1000, deadline - performance.now());
    const [writeAckMs] = await Promise.all([write, Promise.race([everyoneAnswered, sleep(remaining)])]);
    if (failure()) throw failure() as Error;
    const sorted = [...answeredAt].sort((a, b) => a - b);
    return {
      watchers: options.watchers,
      answered: sorted.length,
      lastAnsweredMs: sorted.length === options.watchers ? (sorted.at(-1) as number) - started : Number.NaN,
      firstAnsweredMs: sorted.length > 0 ? (sorted[0] as number) - started : Number.NaN,
      writeAckMs,
      registration,
    };
  } finally {
    for (const req of requests) req.destroy();
    agent.destroy();
  }
}
