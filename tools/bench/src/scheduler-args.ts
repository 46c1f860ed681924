import { parseArgs } from 'node:util';
import { durationSeconds, UsageError, wholeNumber } from './option-values.js';

/** What `npm run bench -- scheduler [options]` asks for. */
export interface SchedulerBenchOptions {
  units: number;
  machines: number;
  kvMembers: number;
  /** The kv cluster the scheduler runs on: kvd (the setup) or a real etcd 3.4 for comparison. */
  kv: 'kvd' | 'etcd';
  /** noop: the clearly named test double of the agents' UnitBackend; exec: real supervised processes. */
  backend: 'noop' | 'exec';
  placement: 'units' | 'load';
  /** Seconds to keep measuring after every unit runs (refresh traffic at rest). */
  steadySeconds: number;
  timeoutSeconds: number;
  json: boolean;
  cpuProf: boolean;
}

export const SCHEDULER_USAGE = `Usage: npm run bench -- scheduler [options]

Places units on simulated machines through a real kvd cluster and measures the engine, as the
scheduler issue asks: the time until every unit is placed and until every one is reported running,
kv requests per unit (kvd's /metrics), the engine's CPU and memory.

Setup: a kvd cluster on 127.0.0.1; one process hosting the machines, each a real agent with its own
kv client and its own unit backend; the units submitted as the API writes them (launched), then the
engine started alone in its own process. The clock starts when the engine process is spawned.

Options:
  --units 10000        units to place (default 10000)
  --machines 100       simulated machines (default 100)
  --kv-members 3       kv cluster size (default 3)
  --kv kvd|etcd        run on kvd (default) or on a real etcd 3.4 (--enable-v2), to tell the
                       scheduler's cost from the kv's
  --backend noop|exec  the machines' unit backend (default noop: a test double of our UnitBackend
                       that runs nothing, since 10,000 real processes on a 2-core host would time
                       the fork rate, not the scheduler; exec runs each unit's /bin/sleep for real)
  --placement units|load  the engine's rule (default units, fleet's)
  --steady 15s         keep measuring this long after all run (TTL refreshes at rest; 0 to skip)
  --timeout 300s       give up after this long
  --output json        also write the results to tmp/bench/scheduler-<date>.json
  --cpu-prof           run the engine under node --cpu-prof and print its hottest functions
  -h, --help           this text`;


export type SchedulerCommand = { kind: 'run'; options: SchedulerBenchOptions } | { kind: 'help'; text: string };

/** Parses the benchmark's arguments (the leading `scheduler` name included or not). */
export function parseSchedulerCommand(argv: readonly string[]): SchedulerCommand {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      units: { type: 'string', default: '10000' },
      machines: { type: 'string', default: '100' },
      'kv-members': { type: 'string', default: '3' },
      kv: { type: 'string', default: 'kvd' },
      backend: { type: 'string', default: 'noop' },
      placement: { type: 'string', default: 'units' },
      steady: { type: 'string', default: '15s' },
      timeout: { type: 'string', default: '300s' },
      output: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { kind: 'help', text: SCHEDULER_USAGE };
  const extra = positionals.filter((word) => word !== 'scheduler');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  if (values.backend !== 'noop' && values.backend !== 'exec') throw new UsageError(`invalid --backend ${values.backend}: expected noop or exec`);
  if (values.placement !== 'units' && values.placement !== 'load') throw new UsageError(`invalid --placement ${values.placement}: expected units or load`);
  if (values.kv !== 'kvd' && values.kv !== 'etcd') throw new UsageError(`invalid --kv ${values.kv}: expected kvd or etcd`);
  if (values.output !== undefined && values.output !== 'json') throw new UsageError(`invalid --output ${values.output}: only json`);
  return {
    kind: 'run',
    options: {
      units: wholeNumber('units', values.units, 1, 1_000_000),
      machines: wholeNumber('machines', values.machines, 1, 10_000),
      kvMembers: wholeNumber('kv-members', values['kv-members'], 1, 7),
      kv: values.kv,
      backend: values.backend,
      placement: values.placement,
      steadySeconds: durationSeconds('steady', values.steady),
      timeoutSeconds: Math.max(1, durationSeconds('timeout', values.timeout)),
      json: values.output === 'json',
      cpuProf: values['cpu-prof'],
    },
  };
}
