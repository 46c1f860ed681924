import { parseArgs } from 'node:util';
import { durationSeconds, someOf, UsageError, wholeNumber } from './option-values.js';

export type KvSystem = 'etcd' | 'kvd';

export const KV_PHASES = ['latency', 'write', 'read', 'quorum', 'watch'] as const;
export type KvPhase = (typeof KV_PHASES)[number];

/** What `npm run bench -- kv [options]` asks for. */
export interface KvBenchOptions {
  sizes: number[];
  durationSeconds: number;
  connections: number;
  watchers: number;
  /** Sequential PUTs for the write-latency phase. */
  latencyRequests: number;
  systems: KvSystem[];
  /** Which measurements to take (all by default; fewer for profiling one of them). */
  phases: KvPhase[];
  json: boolean;
  /** Run kvd under `node --cpu-prof` and summarize where the leader spent its time. */
  cpuProf: boolean;
}

export type ParsedCommand =
  | { kind: 'kv'; options: KvBenchOptions }
  | { kind: 'help'; text: string };


export const USAGE = `Usage: npm run bench -- kv [options]

Benchmarks kvd against real etcd 3.4 (--enable-v2) on 127.0.0.1: 1- and 3-member clusters, one
system at a time, fresh data dirs, the same load tool (wrk) and settings for both.

Options:
  --sizes 1,3          cluster sizes to measure (default 1,3)
  --duration 10s       length of each wrk run (e.g. 10s, 500ms, 1m; default 10s)
  --connections 64     wrk connections for the throughput phases (default 64)
  --watchers 1000      long-poll watchers for the watch fan-out phase (default 1000)
  --requests 2000      sequential PUTs for the write-latency phase (default 2000)
  --only etcd|kvd      measure one system only
  --phases a,b         only these of latency,write,read,quorum,watch (default all)
  --output json        also write the results to tmp/bench/kv-<date>.json
  --cpu-prof           run kvd under node --cpu-prof (profiles in tmp/bench/profiles/)
                       and print the leader's hottest functions
  -h, --help           this text`;

/** wrk takes whole seconds, at least one. */
export function parseDurationSeconds(text: string): number {
  return Math.round(durationSeconds('duration', text, 1));
}

function parseSizes(text: string): number[] {
  const sizes = text.split(',').map((part) => wholeNumber('sizes', part, 1, 7));
  return [...new Set(sizes)];
}

export function parseCommand(argv: readonly string[]): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        sizes: { type: 'string', default: '1,3' },
        duration: { type: 'string', default: '10s' },
        connections: { type: 'string', default: '64' },
        watchers: { type: 'string', default: '1000' },
        requests: { type: 'string', default: '2000' },
        only: { type: 'string' },
        phases: { type: 'string', default: KV_PHASES.join(',') },
        output: { type: 'string' },
        'cpu-prof': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help', text: USAGE };
  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('which benchmark? e.g. `npm run bench -- kv`');
  if (command !== 'kv') throw new UsageError(`unknown benchmark "${command}": this parser reads kv's options`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (values.only !== undefined && values.only !== 'etcd' && values.only !== 'kvd') {
    throw new UsageError(`invalid --only ${values.only}: expected etcd or kvd`);
  }
  if (values.output !== undefined && values.output !== 'json') {
    throw new UsageError(`invalid --output ${values.output}: expected json`);
  }
  return {
    kind: 'kv',
    options: {
      sizes: parseSizes(values.sizes),
      durationSeconds: parseDurationSeconds(values.duration),
      connections: wholeNumber('connections', values.connections, 1, 10_000),
      watchers: wholeNumber('watchers', values.watchers, 1, 10_000),
      latencyRequests: wholeNumber('requests', values.requests, 1, 1_000_000),
      systems: values.only ? [values.only] : ['etcd', 'kvd'],
      phases: someOf('phases', values.phases, KV_PHASES),
      json: values.output === 'json',
      cpuProf: values['cpu-prof'],
    },
  };
}
