import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemons, fatalLines, formatFailure, fuzzDaemon, fuzzOptionsFromEnv, sendRaw, slowClient, type Failure } from '../src/index.js';
import type { DaemonName } from '../src/cases.js';

/**
 * Input robustness of every daemon's HTTP API (issue 8): a seeded stream of malformed requests
 * against the real built kvd (client and peer listeners), schedulerd and update-server. Every
 * request must get an HTTP answer (a closed connection only for unparseable or oversized heads),
 * never a 5xx, and the documented error where the input class has one; the processes must survive,
 * stay healthy and log no uncaught or unhandled error. Replay a failure with the FUZZ_SEED and
 * FUZZ_ONLY it prints.
 */
const options = fuzzOptionsFromEnv();
const daemons = new Daemons();

beforeAll(async () => {
  await daemons.start();
}, 60_000);

afterAll(async () => {
  await daemons.stop();
}, 60_000);

describe(`HTTP fuzz (FUZZ_SEED=${options.seed}, FUZZ_ITERATIONS=${options.iterations})`, () => {
  it('answers every malformed request with its documented error, while slow clients hold connections', async () => {
    // Slow clients: each sends the start of a request byte by byte, then stalls with its socket open.
    const slow = daemons.all.flatMap((d) => [0, 1, 2].map(() => slowClient(d.port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')));
    try {
      await Promise.all(slow.map((s) => s.stalled));
      const results = await Promise.all(daemons.all.map((d) => fuzzDaemon(d.name, d.port, options)));
      const failures: Failure[] = results.flatMap((r) => r.failures);
      const summary = daemons.all.map((d, i) => `${d.name}: ${[...(results[i]?.kinds ?? [])].map(([k, n]) => `${k}=${n}`).join(', ')}`).join('\n');
      console.log(`fuzz cases per input class (seed ${options.seed}):\n${summary}`);
      expect(failures.map((f) => formatFailure(options.seed, f)), `seed ${options.seed}`).toEqual([]);
      // The stalled clients did not block anyone: /health answers at once on every listener.
      for (const d of daemons.all) {
        const outcome = await sendRaw(d.port, Buffer.from('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'), 3000);
        expect(outcome.kind === 'answer' ? outcome.status : outcome, `${d.name} /health while slow clients stall`).toBe(200);
      }
    } finally {
      for (const s of slow) s.close();
    }
  }, 120_000);

  it('leaves every daemon running, healthy and without uncaught or unhandled errors in its log', async () => {
    const names: DaemonName[] = [];
    for (const d of daemons.all) {
      names.push(d.name);
      const outcome = await sendRaw(d.port, Buffer.from('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'), 3000);
      expect(outcome.kind === 'answer' ? outcome.status : `${outcome.kind}\n${d.process.log.slice(-3000)}`, `${d.name} /health`).toBe(200);
      expect(fatalLines(d.process.log), `${d.name} log`).toEqual([]);
    }
    expect(names).toEqual(['kvd', 'kvd-peer', 'schedulerd', 'update-server']);
  });
});
