import { parseArgs } from 'node:util';
import { durationSeconds, someOf, UsageError, wholeNumber } from './option-values.js';

export const INSTALL_PRIORITIES = ['idle', 'normal'] as const;
export type InstallPriority = (typeof INSTALL_PRIORITIES)[number];
/** The benchmark's three measurements, each of which can be run alone. */
export const UPDATER_PARTS = ['install', 'workload', 'checkins'] as const;
export type UpdaterPart = (typeof UPDATER_PARTS)[number];

/** What `npm run bench -- updater [options]` asks for. */
export interface UpdaterBenchOptions {
  /** Which measurements to run (in this order). */
  parts: UpdaterPart[];
  /** Bytes of release content (before compression). */
  sizeBytes: number;
  /** Runs of the reference and of the install each (alternating; their medians are compared). */
  repeat: number;
  /** updaterd --install-priority values to measure a co-running workload against. */
  priorities: InstallPriority[];
  /** Seconds of the workload alone before and after each install (its baseline). */
  baselineSeconds: number;
  /** Simulated machines checking in, and for how long. */
  instances: number;
  checkinSeconds: number;
  json: boolean;
}

export type ParsedUpdaterCommand = { kind: 'run'; options: UpdaterBenchOptions } | { kind: 'help'; text: string };


export const UPDATER_USAGE = `Usage: npm run bench -- updater [options]

Measures an update as updaterd installs it from a real update-server on 127.0.0.1 (download over
HTTP, unpacking while it downloads, size + sha256 + ed25519 checks, every file hashed against the
manifest and synced, at normal priority), against sha256sum FILE && tar -xzf FILE of the same bundle
(warm cache, no fsync), alternating runs compared by their medians; then how much an install slows a
CPU- and disk-bound workload running beside it (alone just before and after vs during the install; the
issue's target is <= 10 %), with updaterd's default --install-priority idle (worker under nice 19 + ionice -c 3) and,
for comparison, normal. Then update-server check-ins per second from simulated machines
(the issue's target is 5,000/s on this machine, with correct policy accounting).

Options:
  --parts a,b,c        which measurements to run (default install,workload,checkins): install
                       (against sha256sum + tar), workload (its slowdown during an install),
                       checkins (update-server check-ins per second)
  --size 200M          release content before compression (K/M/G; default 200M): half text
                       (compresses like code), half random bytes
  --repeat 3           runs of the reference and of the install each, alternating; their
                       medians are compared (the machine is shared: one run is noisy)
  --priorities a,b     install priorities to measure with the workload (default idle,normal)
  --baseline 10s       how long the workload runs alone just before and just after each
                       install, for its baseline (default 10s)
  --instances 1000     simulated machines checking in with update_engine's update check, over
                       64 keep-alive connections; their group allows 20 % of them an update
                       per period, and the server's accounting must grant exactly that many
  --checkins 10s       how long they check in (default 10s)
  --output json        also write the results to tmp/bench/updater-<date>.json
  -h, --help           this text`;

export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG])?$/i.exec(text.trim());
  if (!match) throw new UsageError(`invalid --size ${text}: expected e.g. 200M, 50M or 1G`);
  const scale = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(match[2] ?? '').toUpperCase() as 'K' | 'M' | 'G'] ?? 1;
  const bytes = Math.round(Number(match[1]) * scale);
  if (bytes < 1024 * 1024) throw new UsageError(`invalid --size ${text}: at least 1M`);
  return bytes;
}

export function parseUpdaterCommand(argv: readonly string[]): ParsedUpdaterCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        parts: { type: 'string', default: UPDATER_PARTS.join(',') },
        size: { type: 'string', default: '200M' },
        repeat: { type: 'string', default: '3' },
        priorities: { type: 'string', default: INSTALL_PRIORITIES.join(',') },
        baseline: { type: 'string', default: '10s' },
        instances: { type: 'string', default: '1000' },
        checkins: { type: 'string', default: '10s' },
        output: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help', text: UPDATER_USAGE };
  const [command, ...rest] = positionals;
  if (command !== 'updater') throw new UsageError(`this parser reads the updater benchmark's options, not "${command ?? ''}"`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (values.output !== undefined && values.output !== 'json') throw new UsageError(`invalid --output ${values.output}: expected json`);
  const priorities = someOf('priorities', values.priorities, INSTALL_PRIORITIES);
  return {
    kind: 'run',
    options: {
      parts: someOf('parts', values.parts, UPDATER_PARTS),
      sizeBytes: parseSize(values.size),
      repeat: wholeNumber('repeat', values.repeat, 1, 20),
      priorities,
      baselineSeconds: durationSeconds('baseline', values.baseline, 1),
      instances: wholeNumber('instances', values.instances, 10, 1_000_000),
      checkinSeconds: durationSeconds('checkins', values.checkins, 1),
      json: values.output === 'json',
    },
  };
}
