/** The figures `wrk --latency` prints, read back from its text report. */
export interface WrkResult {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyAvgMs: number;
  latencyMaxMs: number;
  /** From the "Latency Distribution" block (only with --latency): percentile -> ms. */
  latencyPercentilesMs: Record<string, number>;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** Responses with a status outside 2xx/3xx: failed operations, not throughput. */
  non2xx: number;
}

const TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** wrk's format_time: "812.00us", "5.12ms", "1.20s", "1.00m". */
export function parseWrkTimeMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`not a wrk time: ${text}`);
  return Number(match[1]) * (TIME_UNITS_MS[match[2] as string] as number);
}

function required(output: string, pattern: RegExp, what: string): RegExpExecArray {
  const match = pattern.exec(output);
  if (!match) throw new Error(`wrk output has no ${what}:\n${output}`);
  return match;
}

export function parseWrkOutput(output: string): WrkResult {
  const totals = required(output, /^\s*(\d+) requests in ([\d.]+(?:us|ms|s|m|h)),/m, 'request total');
  const rate = required(output, /^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec');
  const latency = /^\s*Latency\s+(\S+)\s+\S+\s+(\S+)/m.exec(output);
  const percentiles: Record<string, number> = {};
  const distribution = /Latency Distribution\n((?:\s+[\d.]+%\s+\S+\n)+)/.exec(output);
  if (distribution) {
    for (const line of (distribution[1] as string).trim().split('\n')) {
      const [p, time] = line.trim().split(/\s+/) as [string, string];
      percentiles[p.replace('%', '')] = parseWrkTimeMs(time);
    }
  }
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requests: Number(totals[1]),
    durationSeconds: parseWrkTimeMs(totals[2] as string) / 1000,
    requestsPerSecond: Number(rate[1]),
    // "-nan" appears when no request completed
    latencyAvgMs: latency && !latency[1]?.includes('nan') ? parseWrkTimeMs(latency[1] as string) : Number.NaN,
    latencyMaxMs: latency && !latency[2]?.includes('nan') ? parseWrkTimeMs(latency[2] as string) : Number.NaN,
    latencyPercentilesMs: percentiles,
    socketErrors: {
      connect: Number(socket?.[1] ?? 0),
      read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0),
      timeout: Number(socket?.[4] ?? 0),
    },
    non2xx: Number(non2xx?.[1] ?? 0),
  };
}

/**
 * Successful requests per second: wrk counts every response, so errors (e.g. 500s when a store is
 * overloaded) would otherwise count as throughput.
 */
export function successfulRate(result: WrkResult): number {
  if (result.durationSeconds <= 0) return 0;
  return Math.max(0, result.requests - result.non2xx) / result.durationSeconds;
}
