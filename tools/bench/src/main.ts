// npm run bench -- NAME [options]: one benchmark per Minicore app, each comparing against its original
// (or a reference) in the same run and printing ratios. Each lives in its own module, loaded on demand.

interface Benchmark {
  summary: string;
  run(argv: readonly string[]): Promise<number>;
}

const BENCHMARKS: Record<string, Benchmark> = {
  kv: { summary: 'kvd against real etcd 3.4: write/read throughput, write latency, watch fan-out', run: async (argv) => (await import('./kv-main.js')).runKvBenchmark(argv) },
  updater: { summary: 'updaterd install vs sha256sum + tar; slowdown of a workload beside an install', run: async (argv) => (await import('./updater-main.js')).runUpdaterBenchmark(argv) },
  runner: { summary: 'runctl run vs docker run start latency; runnerd with 200 containers: memory, death-to-restart', run: async (argv) => (await import('./runner-main.js')).runRunnerBenchmark(argv) },
  scheduler: { summary: 'schedulerd engine: 10,000 units onto 100 simulated machines on kvd, time to placed and running, kv requests, engine CPU and memory', run: async (argv) => (await import('./scheduler-main.js')).runSchedulerBenchmark(argv) },
};

function usage(): string {
  const width = Math.max(...Object.keys(BENCHMARKS).map((name) => name.length));
  const lines = Object.entries(BENCHMARKS).map(([name, benchmark]) => `  ${name.padEnd(width)}  ${benchmark.summary}`);
  return `Usage: npm run bench -- NAME [options]   (npm run bench -- NAME --help for a benchmark's options)\n\nBenchmarks:\n${lines.join('\n')}`;
}

async function main(argv: readonly string[]): Promise<number> {
  const name = argv.find((arg) => !arg.startsWith('-'));
  if (name === undefined) {
    const asked = argv.includes('--help') || argv.includes('-h');
    (asked ? process.stdout : process.stderr).write(`${usage()}\n`);
    return asked ? 0 : 2;
  }
  const benchmark = BENCHMARKS[name];
  if (!benchmark) {
    process.stderr.write(`bench: unknown benchmark "${name}"\n\n${usage()}\n`);
    return 2;
  }
  return benchmark.run(argv);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
