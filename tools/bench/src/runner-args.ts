import { parseArgs } from 'node:util';
import { someOf, UsageError, wholeNumber } from './option-values.js';

export const RUNNER_PHASES = ['start', 'supervise'] as const;
export type RunnerPhase = (typeof RUNNER_PHASES)[number];

/** What `npm run bench -- runner [options]` asks for. */
export interface RunnerBenchOptions {
  /** Measured starts per system in the start-latency phase (after the warm-up ones). */
  samples: number;
  /** Unmeasured starts per system first (page cache, the engine's first-use paths). */
  warmup: number;
  /** Containers runnerd supervises in the supervision phase. */
  containers: number;
  /** Sequential deaths (one container killed, wait for its restart) measured. */
  deaths: number;
  /** Containers killed at once, after the sequential deaths (0: none). */
  burst: number;
  image: string;
  phases: RunnerPhase[];
  json: boolean;
}

export type RunnerCommand = { kind: 'runner'; options: RunnerBenchOptions } | { kind: 'help'; text: string };


export const RUNNER_USAGE = `Usage: npm run bench -- runner [options]

Benchmarks runnerd/runctl against the Docker engine they drive (dockerd at /var/run/docker.sock,
or DOCKER_HOST=unix://PATH):
  start      start-to-running latency of \`runctl run -d\` and \`docker run -d\` of the same image,
             interleaved in one run (also runnerd's API without a CLI, and runctl's own start-up)
  supervise  one runnerd supervising --containers containers (restart policy always): its memory,
             its CPU while nothing happens, and the time from a container's death (kill -9 of its
             process from the host) to runnerd having started it again, beside 20 containers under
             dockerd's own --restart always killed in turn (docker kill would not do: the engine
             counts it as a manual stop). Needs root on the engine's host.

Every container it makes carries the label io.minicore.bench.run=<this run>, and is removed at the
end, on an error and on Ctrl-C.

Options:
  --samples 30         measured starts per system (default 30)
  --warmup 3           unmeasured starts per system first (default 3)
  --containers 200     containers supervised at once (default 200)
  --deaths 50          sequential kills measured (default 50; at most --containers)
  --burst 20           then kill this many at once (default 20; 0: skip)
  --image NAME:TAG     image to run (default minicore/busybox:latest; needs \`sleep\`)
  --phases a,b         only these of start,supervise (default both)
  --output json        also write the results to tmp/bench/runner-<date>.json
  -h, --help           this text`;

/** Parses the arguments after `npm run bench --` (the benchmark name `runner` among them). */
export function parseRunnerCommand(argv: readonly string[]): RunnerCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        samples: { type: 'string', default: '30' },
        warmup: { type: 'string', default: '3' },
        containers: { type: 'string', default: '200' },
        deaths: { type: 'string', default: '50' },
        burst: { type: 'string', default: '20' },
        image: { type: 'string', default: 'minicore/busybox:latest' },
        phases: { type: 'string', default: RUNNER_PHASES.join(',') },
        output: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help', text: RUNNER_USAGE };
  const [command, ...rest] = positionals;
  if (command !== 'runner') throw new UsageError(`this parser reads the runner benchmark's options, not "${command ?? ''}"`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (values.output !== undefined && values.output !== 'json') throw new UsageError(`invalid --output ${values.output}: expected json`);
  if (!/^[a-z0-9][a-z0-9._/:-]*$/.test(values.image)) throw new UsageError(`invalid --image ${values.image}: expected NAME[:TAG]`);
  const containers = wholeNumber('containers', values.containers, 1, 1000);
  const deaths = wholeNumber('deaths', values.deaths, 1, 10_000);
  if (deaths > containers) throw new UsageError(`--deaths ${deaths} is more than --containers ${containers}: each measured death is a different container`);
  const burst = wholeNumber('burst', values.burst, 0, 1000);
  if (burst > containers) throw new UsageError(`--burst ${burst} is more than --containers ${containers}`);
  return {
    kind: 'runner',
    options: {
      samples: wholeNumber('samples', values.samples, 1, 10_000),
      warmup: wholeNumber('warmup', values.warmup, 0, 100),
      containers,
      deaths,
      burst,
      image: values.image,
      phases: someOf('phases', values.phases, RUNNER_PHASES),
      json: values.output === 'json',
    },
  };
}
