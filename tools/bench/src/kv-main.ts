// npm run bench -- kv: kvd against real etcd 3.4, same load, side by side.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand, USAGE, type KvBenchOptions } from './args.js';
import { UsageError } from './option-values.js';
import { startBenchRun } from './bench-run.js';
import { benchSystem, etcdVersion, KEY_SPACE, VALUE_BYTES, type SystemRun } from './kv-bench.js';
import { describeSyncs } from './disk-metrics.js';
import { describeCpu } from './process-cpu.js';
import { formatTable, KV_METRICS, ratio, evaluateTarget, type Figures } from './table.js';

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ETCD_BINARY = '/usr/bin/etcd';
const KVD_SCRIPT = path.join(workspaceRoot, 'apps/kv/dist/kvd/main.js');

function progress(text: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
}

function heading(size: number, options: KvBenchOptions): string {
  return (
    `${size} member${size === 1 ? '' : 's'} — wrk -c${options.connections} -t2 -d${options.durationSeconds}s to the leader, ` +
    `${options.latencyRequests} sequential PUTs, ${options.watchers} watchers`
  );
}

function report(runs: SystemRun[], options: KvBenchOptions): string {
  const parts: string[] = [];
  for (const size of options.sizes) {
    const figures: Partial<Record<'etcd' | 'kvd', Figures>> = {};
    for (const run of runs.filter((r) => r.size === size)) figures[run.system] = run.figures;
    parts.push(formatTable({ size, heading: heading(size, options), figures }));
    for (const run of runs.filter((r) => r.size === size)) {
      const notes: string[] = [];
      for (const [id, result] of Object.entries(run.wrk)) {
        const socketErrors = Object.values(result.socketErrors).reduce((sum, n) => sum + n, 0);
        if (result.non2xx || socketErrors) notes.push(`${id}: ${result.non2xx} non-2xx, ${socketErrors} socket errors of ${result.requests} (not counted)`);
      }
      if (run.writeSyncs) notes.push(`write phase: ${describeSyncs(run.writeSyncs)}`);
      for (const [name, syncs] of Object.entries(run.followerWriteSyncs ?? {})) notes.push(`write phase: ${describeSyncs(syncs).replace('on the leader', `on follower ${name}`)}`);
      for (const [id, cpu] of Object.entries(run.cpu ?? {})) notes.push(describeCpu(id, cpu, run.leader));
      if (run.latency?.errors) notes.push(`write latency: ${run.latency.errors} failed PUTs`);
      if (run.watch?.registration === 'settle') notes.push('watchers: no watcher count in /v2/stats/store, waited a settle time');
      notes.push(...run.errors.map((error) => `ERROR ${error.split('\n')[0]}`));
      for (const note of notes) parts.push(`  ${run.system}: ${note}`);
    }
    parts.push('');
  }
  return parts.join('\n');
}

function targetsSummary(runs: SystemRun[]): string[] {
  const lines: string[] = [];
  for (const size of [...new Set(runs.map((r) => r.size))]) {
    const etcd = runs.find((r) => r.size === size && r.system === 'etcd')?.figures;
    const kvd = runs.find((r) => r.size === size && r.system === 'kvd')?.figures;
    if (!etcd || !kvd) continue;
    for (const metric of KV_METRICS) {
      const outcome = evaluateTarget(metric, size, ratio(kvd[metric.id], etcd[metric.id]));
      if (outcome && outcome.met !== undefined) lines.push(`${outcome.met ? 'met   ' : 'MISSED'} ${metric.label} at ${size} member${size === 1 ? '' : 's'}: kvd/etcd ${outcome.text}`);
    }
  }
  return lines;
}

export async function runKvBenchmark(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n`);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${command.text}\n`);
    return 0;
  }
  const options = command.options;
  if (options.systems.includes('kvd') && !existsSync(KVD_SCRIPT)) throw new Error(`${KVD_SCRIPT} is missing: build first (npx nx run-many -t build)`);
  const version = etcdVersion(ETCD_BINARY);
  if (options.systems.includes('etcd') && version === 'not found') throw new Error(`${ETCD_BINARY} is missing: apt-get install etcd-server`);

  const { registry, workDir, startedAt, stamp, end } = startBenchRun(progress);
  const profilesDir = options.cpuProf ? path.join(workspaceRoot, 'tmp', 'bench', 'profiles', stamp) : undefined;
  progress(`kv benchmark: etcd ${version} vs kvd (${KVD_SCRIPT}), node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  const runs: SystemRun[] = [];
  try {
    for (const size of options.sizes) {
      for (const system of options.systems) {
        runs.push(await benchSystem({ registry, workDir, etcdBinary: ETCD_BINARY, kvdScript: KVD_SCRIPT, progress, ...(profilesDir ? { profilesDir } : {}) }, options, system, size));
      }
    }
  } finally {
    end();
  }

  process.stdout.write(`\n${report(runs, options)}`);
  const targets = targetsSummary(runs);
  if (targets.length) process.stdout.write(`Targets (kv issue):\n${targets.map((line) => `  ${line}`).join('\n')}\n`);
  process.stdout.write(`\nratio = kvd/etcd; load average at the end: ${os.loadavg().map((n) => n.toFixed(2)).join(' ')} (shared machine: compare ratios, not absolute figures)\n`);

  if (options.json) {
    const dir = path.join(workspaceRoot, 'tmp', 'bench');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `kv-${stamp}.json`);
    const document = {
      benchmark: 'kv',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options,
      setup: { etcdVersion: version, node: process.version, cpus: os.cpus().length, keySpace: KEY_SPACE, valueBytes: VALUE_BYTES, heartbeatMs: 100, electionMs: 1000 },
      runs,
      targets,
    };
    writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
    process.stdout.write(`results written to ${path.relative(process.cwd(), file) || file}\n`);
  }
  return runs.some((run) => run.errors.length > 0) ? 1 : 0;
}
