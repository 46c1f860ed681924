import { describe, expect, it } from 'vitest';
import { parseWrkOutput, parseWrkTimeMs, successfulRate } from './wrk-output.js';

const report = `Running 10s test @ http://127.0.0.1:2379/v2/keys/bench/read
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    2.31ms   1.20s    80.12%
    Req/Sec     6.30k   512.00     7.10k    70.00%
  Latency Distribution
     50%  812.00us
     75%    6.00ms
     90%    7.50ms
     99%   12.00ms
  125432 requests in 10.01s, 30.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 12
  Non-2xx or 3xx responses: 432
Requests/sec:  12530.12
Transfer/sec:      3.01MB
`;

describe('parseWrkTimeMs', () => {
  it('reads every unit wrk prints', () => {
    expect(parseWrkTimeMs('812.00us')).toBeCloseTo(0.812);
    expect(parseWrkTimeMs('5.12ms')).toBe(5.12);
    expect(parseWrkTimeMs('1.20s')).toBe(1200);
    expect(parseWrkTimeMs('1.00m')).toBe(60_000);
  });

  it('rejects anything else', () => {
    expect(() => parseWrkTimeMs('5 ms')).toThrow(/not a wrk time/);
  });
});

describe('parseWrkOutput', () => {
  it('reads totals, rate, latency, distribution and errors', () => {
    const result = parseWrkOutput(report);
    expect(result.requests).toBe(125432);
    expect(result.durationSeconds).toBeCloseTo(10.01);
    expect(result.requestsPerSecond).toBe(12530.12);
    expect(result.latencyAvgMs).toBe(5.12);
    expect(result.latencyMaxMs).toBe(1200);
    expect(result.latencyPercentilesMs).toEqual({ '50': 0.812, '75': 6, '90': 7.5, '99': 12 });
    expect(result.socketErrors).toEqual({ connect: 0, read: 2, write: 0, timeout: 12 });
    expect(result.non2xx).toBe(432);
  });

  it('reads a clean run without error lines or distribution', () => {
    const clean = `Running 2s test @ http://127.0.0.1:18765/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.63ms    3.83ms  40.16ms   93.78%
    Req/Sec     0.94k   205.92     1.49k    90.00%
  1868 requests in 2.00s, 6.00MB read
Requests/sec:    933.02
Transfer/sec:      3.00MB
`;
    const result = parseWrkOutput(clean);
    expect(result.requests).toBe(1868);
    expect(result.non2xx).toBe(0);
    expect(result.socketErrors.timeout).toBe(0);
    expect(result.latencyPercentilesMs).toEqual({});
    expect(successfulRate(result)).toBe(934);
  });

  it('copes with a run where nothing completed', () => {
    const empty = `Running 1s test @ http://127.0.0.1:1/
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     -nan%    -nan%   0.00us    -nan%
    Req/Sec     0.00      0.00     0.00      -nan%
  0 requests in 1.00s, 0.00B read
  Socket errors: connect 1, read 0, write 0, timeout 0
Requests/sec:      0.00
Transfer/sec:       0.00B
`;
    const result = parseWrkOutput(empty);
    expect(result.requests).toBe(0);
    expect(result.latencyAvgMs).toBeNaN();
    expect(result.socketErrors.connect).toBe(1);
  });

  it('fails loudly on something that is not a wrk report', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/no request total/);
  });

  it('counts only successful responses as throughput', () => {
    const result = parseWrkOutput(report);
    expect(successfulRate(result)).toBeCloseTo((125432 - 432) / 10.01);
  });
});
