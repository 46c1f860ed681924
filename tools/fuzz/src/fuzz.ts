import { GENERATORS, describeRequest, judge, type DaemonName } from './cases.js';
import { caseSeed, FuzzPrng } from './prng.js';
import { encodeRequest, sendRaw } from './raw-http.js';

export interface Failure {
  daemon: DaemonName;
  index: number;
  kind: string;
  problem: string;
  request: string;
}

export interface FuzzOptions {
  seed: number;
  iterations: number;
  concurrency?: number;
  /** Replay only these case indices of this daemon (FUZZ_ONLY=daemon:index). */
  only?: { daemon: DaemonName; index: number };
}

/** The run's settings: FUZZ_SEED and FUZZ_ITERATIONS (cases per daemon) from the environment, else defaults. */
export function fuzzOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): FuzzOptions {
  const seed = env['FUZZ_SEED'] === undefined ? 20261126 : Number(env['FUZZ_SEED']);
  const iterations = env['FUZZ_ITERATIONS'] === undefined ? 1000 : Number(env['FUZZ_ITERATIONS']);
  if (!Number.isInteger(seed) || !Number.isInteger(iterations) || iterations < 0) throw new Error('FUZZ_SEED and FUZZ_ITERATIONS must be integers');
  const only = /^([a-z-]+):(\d+)$/.exec(env['FUZZ_ONLY'] ?? '');
  return { seed, iterations, ...(only ? { only: { daemon: only[1] as DaemonName, index: Number(only[2]) } } : {}) };
}

/** Sends `iterations` generated cases to one daemon (a few at a time) and returns the ones it answered wrongly. */
export interface FuzzResult {
  failures: Failure[];
  kinds: Map<string, number>;
}

export async function fuzzDaemon(daemon: DaemonName, port: number, options: FuzzOptions): Promise<FuzzResult> {
  const failures: Failure[] = [];
  const kinds = new Map<string, number>();
  const indices = options.only ? (options.only.daemon === daemon ? [options.only.index] : []) : Array.from({ length: options.iterations }, (_, i) => i);
  const worker = async () => {
    for (let index = indices.shift(); index !== undefined; index = indices.shift()) {
      const fuzzCase = GENERATORS[daemon](new FuzzPrng(caseSeed(options.seed, daemon, index)));
      kinds.set(fuzzCase.kind, (kinds.get(fuzzCase.kind) ?? 0) + 1);
      const outcome = await sendRaw(port, encodeRequest(fuzzCase.request));
      const problem = judge(fuzzCase, outcome);
      if (options.only) console.log(`replay ${daemon}:${index} [${fuzzCase.kind}] ${describeRequest(fuzzCase.request)}\n  -> ${JSON.stringify(outcome).slice(0, 2000)}`);
      if (problem === undefined) continue;
      failures.push({ daemon, index, kind: fuzzCase.kind, problem, request: describeRequest(fuzzCase.request) });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return { failures, kinds };
}

/** A failure as a replayable line: seed, daemon and case index regenerate the exact request. */
export function formatFailure(seed: number, failure: Failure): string {
  return `FUZZ_SEED=${seed} FUZZ_ONLY=${failure.daemon}:${failure.index} [${failure.kind}] ${failure.problem}\n    request: ${failure.request}`;
}
