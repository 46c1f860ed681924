import { mkdirSync, appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  checkAcknowledgedWrites,
  checkFinalAgreement,
  checkTtls,
  checkWatches,
  describeDiskFull,
  describeFault,
  FAULT_KINDS,
  formatMarkdown,
  generateSchedule,
  parseDuration,
  passed,
  renderHtml,
  timeline,
  vitestJson,
  type FaultKind,
  type FaultRecord,
  type FinalReads,
  type KnownChange,
  type RunReport,
  type Verdict,
} from '@minicore/chaos-checkers';
import { checkOperations, etcdModel } from '@minicore/linearizability';
import { Prng } from '@minicore/seeded-random';
import { workspaceRoot } from './cluster.js';
import { now, sleep, startClock } from './clock.js';
import { faketimeAvailable, installFaketime } from './faketime.js';
import { healAll, runFault, settleFaultMeasurements } from './faults.js';
import { kvDisksUnavailable } from './kv-disk.js';
import { NOT_CHECKED, type CheckerHook } from './hooks.js';
import { readTree } from './http.js';
import { Machines } from './machines.js';
import { SchedulerHook } from './scheduler-hook.js';
import { UpdaterHook } from './updater-hook.js';
import { Watcher } from './watchers.js';
import { ONCE_DIR, TTL_DIR, Workload } from './workload.js';

const USAGE = `npm run chaos -- [--duration 120s] [--seed N] [--machines 5] [--output DIR] [--faults kill,pause,...]
  [--clients 6] [--registers 8] [--quiet 10s] [--vitest-json FILE]
  [--checkers kv,scheduler,updater] [--agent-ttl 10s] [--reboots 3] [--reboot-max 2]
Drives the chaos cluster (vagrant, MINICORE_SUBNET=10.78.0) with concurrent clients while it injects
faults on a schedule drawn from the seed, then checks the histories. Exit 0: every checker passed.
The scheduler checker runs units through schedulerd (agent TTL --agent-ttl); the updater checker
publishes a release that --reboots machines install, rebooting under a semaphore of max --reboot-max.
Fault kinds: ${FAULT_KINDS.join(', ')}`;

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '120s' },
    seed: { type: 'string' },
    machines: { type: 'string' },
    output: { type: 'string' },
    faults: { type: 'string' },
    clients: { type: 'string', default: '6' },
    registers: { type: 'string', default: '8' },
    quiet: { type: 'string', default: '10s' },
    'vitest-json': { type: 'string' },
    checkers: { type: 'string', default: 'kv,scheduler,updater' },
    'agent-ttl': { type: 'string', default: '10s' },
    reboots: { type: 'string', default: '3' },
    'reboot-max': { type: 'string', default: '2' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const seed = values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : Number(values.seed);
const durationMs = parseDuration(values.duration);
const quietMs = parseDuration(values.quiet);
const chosenKinds = values.faults ? (values.faults.split(',') as FaultKind[]) : FAULT_KINDS;
for (const kind of chosenKinds) if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind ${kind}: expected ${FAULT_KINDS.join(', ')}`);
// Clock jumps need libfaketime on this host (copied into the machines); without it they are left out.
const clockJumps = chosenKinds.includes('clock-jump') && faketimeAvailable();
const kindsWithoutDisks = chosenKinds.filter((kind) => kind !== 'clock-jump' || clockJumps);
if (values.machines) process.env['MINICORE_MACHINES'] = values.machines;
const stamp = new Date().toISOString().replaceAll(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
const outputDir = path.resolve(values.output ?? path.join(workspaceRoot, 'tmp', 'chaos', `${seed}-${stamp}`));
mkdirSync(outputDir, { recursive: true });
const logFile = path.join(outputDir, 'run.log');
const log = (line: string) => {
  const text = `${(now() / 1000).toFixed(2).padStart(7)}s ${line}`;
  console.log(text);
  appendFileSync(logFile, `${text}\n`);
};

const machines = new Machines();
const checkers = new Set(values.checkers.split(','));
for (const checker of checkers) if (!['kv', 'scheduler', 'updater'].includes(checker)) throw new Error(`unknown checker ${checker}: expected kv, scheduler, updater`);
const hooks: CheckerHook[] = [
  ...(checkers.has('scheduler') ? [new SchedulerHook(parseDuration(values['agent-ttl']))] : []),
  ...(checkers.has('updater') ? [new UpdaterHook(Number(values.reboots), Number(values['reboot-max']))] : []),
];
const reproduce = `npm run chaos -- --duration ${values.duration} --seed ${seed} --machines ${machines.list.length}${values.faults ? ` --faults ${values.faults}` : ''}`;

async function kvIndex(): Promise<number> {
  for (;;) {
    for (const machine of machines.list) {
      try {
        const response = await fetch(`${machine.kvUrl}/v2/keys/?quorum=true`, { signal: AbortSignal.timeout(3_000) });
        await response.text();
        if (response.ok) return Number(response.headers.get('x-etcd-index'));
      } catch {
        // next machine
      }
    }
    await sleep(500);
  }
}

async function waitHealthy(what: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await machines.healthy()) && (await machines.leader(1_000))) return true;
    await sleep(1_000);
  }
  log(`${what}: the cluster is still not healthy after ${timeoutMs / 1000} s`);
  return false;
}

/** Removes what an earlier run left under /chaos: write-once and TTL keys must be new. */
async function clearPrefix(): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const machine = machines.list[attempt % machines.list.length];
    try {
      const response = await fetch(`${machine?.kvUrl}/v2/keys/chaos?recursive=true`, { method: 'DELETE', signal: AbortSignal.timeout(5_000) });
      const body = (await response.json()) as { errorCode?: number };
      if (response.ok || body.errorCode === 100) return;
    } catch {
      // retried
    }
    await sleep(500);
  }
  throw new Error('could not clear /chaos before the run');
}

async function main(): Promise<number> {
  const startedAt = new Date().toISOString();
  const names = machines.names;
  log(`chaos run: seed ${seed}, ${values.duration} of faults on ${names.length} machines (${names.join(', ')}); output ${outputDir}`);
  if (!(await waitHealthy('before the run', 120_000))) throw new Error('the cluster is not healthy: is it up? (tools/scripts/chaos.sh boots it)');
  await clearPrefix();
  // Full disks need the kv disks tools/scripts/chaos.sh mounts for the cluster it boots; without them they are left out.
  const noDisks = kindsWithoutDisks.includes('disk-full') ? await kvDisksUnavailable(machines) : undefined;
  const kinds = kindsWithoutDisks.filter((kind) => kind !== 'disk-full' || noDisks === undefined);
  if (noDisks) log(`full disks left out: ${noDisks}`);
  const schedule = generateSchedule({ seed, durationMs, machines: names, kinds });
  log(`schedule (${schedule.length} faults): ${schedule.map((fault) => `${(fault.atMs / 1000).toFixed(1)}s ${describeFault(fault)}`).join('; ')}`);
  if (chosenKinds.includes('clock-jump') && !clockJumps) log('clock jumps left out: no libfaketime on this host (apt-get install libfaketime)');
  // A hook that cannot prepare (e.g. the release tool fails on a workspace being rebuilt) does not stop
  // the run: its checker reports "unknown" with the reason, the others go on.
  const unprepared = new Map<CheckerHook, string>();
  await Promise.all([
    ...(clockJumps ? [installFaketime(machines, log)] : []),
    ...hooks.map((hook) =>
      hook.prepare(machines, log).catch((error: unknown) => {
        const reason = (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 3).join(' ').slice(0, 800);
        unprepared.set(hook, reason);
        log(`${hook.name}: could not prepare, its checker will say "unknown": ${reason}`);
      }),
    ),
  ]);
  const ready = hooks.filter((hook) => !unprepared.has(hook));

  const prng = new Prng(seed);
  const startIndex = await kvIndex();
  startClock();
  const watcherMachines = [...new Set([0, Math.floor(names.length / 2), names.length - 1])].map((i) => machines.list[i]!);
  const watchers = watcherMachines.map((machine, i) => new Watcher(`w${i + 1}`, machine, 'chaos', startIndex));
  // And a slow one, so that the 401 resync path runs too (it falls behind once the changes outpace it).
  watchers.push(new Watcher('w-slow', machines.list[1 % names.length]!, 'chaos', startIndex, 150));
  for (const watcher of watchers) watcher.start();
  const workload = new Workload({ machines: machines.list, prng: prng.fork(), registers: Number(values.registers), clients: Number(values.clients) });
  workload.start();
  for (const hook of ready) hook.begin();

  const faults: FaultRecord[] = [];
  let healedAtMs: number;
  try {
    for (const fault of schedule) {
      await sleep(fault.atMs - now());
      faults.push(await runFault(machines, fault, log));
    }
    await sleep(durationMs - now());
  } finally {
    log('healing everything');
    await healAll(machines, log);
    await waitHealthy('after healing', 120_000);
    healedAtMs = now();
    await settleFaultMeasurements();
  }
  log(`healed at ${(healedAtMs / 1000).toFixed(1)} s; ${quietMs / 1000} s of load without faults`);
  await sleep(quietMs);
  await workload.stop();
  const endMs = now();
  // Let the last TTL keys (4 s at most) expire before the sentinel.
  await sleep(6_000);

  // The sentinel: the run's last change. Every watcher must get to it.
  let sentinel = 0;
  for (let attempt = 0; sentinel === 0 && attempt < 60; attempt++) {
    const op = await workload.run('sentinel', machines.list[attempt % names.length]!, { op: 'write', key: 'chaos/sentinel', value: 'end' });
    if (op.outcome === 'ok' && op.output?.index) sentinel = op.output.index;
    else await sleep(500);
  }
  for (const watcher of watchers) watcher.hurry();
  const caughtUp = Date.now() + 30_000;
  while (Date.now() < caughtUp && watchers.some((watcher) => watcher.lastIndex < sentinel)) await sleep(250);
  const watcherLogs = await Promise.all(watchers.map((watcher) => watcher.stop()));
  for (const watcherLog of watcherLogs) watcherLog.sawSentinel = sentinel > 0 && watcherLog.throughIndex >= sentinel;
  log(`sentinel @${sentinel}; watchers at ${watcherLogs.map((w) => `${w.id}@${w.throughIndex}`).join(', ')}`);

  // Final reads through every machine: the registers (into the checked history), the write-once and TTL keys.
  const finals: FinalReads[] = [];
  const ttlFinals: FinalReads[] = [];
  for (const machine of machines.list) {
    const values = new Map<string, string | null>();
    let error: string | undefined;
    for (const key of workload.registerKeys) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const op = await workload.run('final', machine, { op: 'read', key });
        if (op.outcome === 'ok') {
          values.set(key, op.output?.value ?? null);
          break;
        }
        if (Date.now() > deadline) {
          error = `no quorum read of ${key} within 30 s (${op.reason ?? op.outcome})`;
          break;
        }
        await sleep(250);
      }
    }
    const once = await readTree(machine.kvUrl, ONCE_DIR, 10_000);
    const ttl = await readTree(machine.kvUrl, TTL_DIR, 10_000);
    if (once) for (const [key, value] of once) values.set(key, value);
    else error ??= `the quorum read of ${ONCE_DIR} failed`;
    finals.push(error ? { machine: machine.name, error } : { machine: machine.name, values });
    ttlFinals.push(ttl ? { machine: machine.name, values: ttl } : { machine: machine.name, error: `the quorum read of ${TTL_DIR} failed` });
  }

  // The checkers.
  const verdicts: Verdict[] = [];
  const checked = workload.history.filter((op) => op.outcome !== 'none');
  const linearizable = checkOperations(etcdModel, checked, { timeoutMs: 120_000 });
  const pending = checked.filter((op) => op.return === Infinity).length;
  const linSummary = `${checked.length} register ops on ${workload.registerKeys.length} keys (${pending} with unknown outcome): ${linearizable.result} in ${(linearizable.elapsedMs / 1000).toFixed(1)} s`;
  verdicts.push({
    checker: 'linearizability of the registers',
    result: linearizable.result === 'ok' ? 'pass' : linearizable.result === 'illegal' ? 'fail' : 'unknown',
    summary: linSummary,
    details: linearizable.illegal ? [linearizable.illegal.text] : linearizable.result === 'unknown' ? ['the checker ran out of time (120 s)'] : [],
  });
  verdicts.push(checkFinalAgreement(workload.registerKeys, finals));
  verdicts.push(checkAcknowledgedWrites(workload.once, finals));
  const known: KnownChange[] = [];
  for (const op of workload.history) {
    if (op.outcome !== 'ok' || op.output?.index === undefined || op.input.op === 'read') continue;
    const value = op.input.op === 'delete' || op.input.op === 'cad' ? null : op.input.value;
    known.push({ index: op.output.index, key: op.input.key, value });
  }
  for (const ttl of workload.ttls) if (ttl.outcome === 'ok' && ttl.index !== undefined) known.push({ index: ttl.index, key: ttl.key, value: ttl.value });
  const watches = checkWatches(watcherLogs, known);
  verdicts.push(watches.verdict);
  const present = new Map<string, boolean>();
  const ttlView = ttlFinals.find((final) => final.values);
  for (const ttl of workload.ttls) if (ttlView?.values) present.set(ttl.key, ttlView.values.has(ttl.key));
  const jumps = faults.filter((fault) => fault.kind === 'clock-jump').map((fault) => ({ startMs: fault.startMs, endMs: fault.endMs }));
  verdicts.push(checkTtls({ keys: workload.ttls, log: watches.log, covered: watches.covered, endIndex: sentinel, present, clockJumps: jumps }));
  const quorumEvidence = workload.timed.filter((op) => op.outcome === 'ok').map((op) => op.ended);
  const figures: string[] = faults.flatMap((fault) => (fault.diskFull ? [`#${fault.id} ${describeDiskFull(fault.diskFull, workload.history)}`] : []));
  for (const [hook, reason] of unprepared) verdicts.push({ checker: `${hook.name}: the checker ran`, result: 'unknown', summary: `the ${hook.name} checker could not prepare: ${reason}`, details: [reason] });
  for (const hook of ready) {
    try {
      const result = await hook.check({ faults, healedAtMs, quorumEvidence });
      verdicts.push(...result.verdicts);
      figures.push(...result.figures);
    } catch (error) {
      verdicts.push({ checker: `${hook.name}: the checker ran`, result: 'unknown', summary: `the ${hook.name} checker failed: ${(error as Error).message.split('\n')[0]}`, details: [(error as Error).stack ?? String(error)] });
    }
  }
  for (const line of figures) log(line);

  // The report.
  const counts: Record<string, Record<string, number>> = {};
  for (const op of workload.timed) {
    const row = (counts[op.kind] ??= {});
    row[op.outcome] = (row[op.outcome] ?? 0) + 1;
  }
  counts['watch-event'] = { ok: watcherLogs.reduce((sum, w) => sum + w.items.filter((item) => item.kind === 'event').length, 0) };
  const bucketMs = 1_000;
  const report: RunReport = {
    seed,
    durationMs,
    machines: names,
    startedAt,
    reproduce,
    faults,
    healedAtMs,
    endMs,
    counts,
    // The load's timeline; the sentinel and the final reads come after it.
    timeline: timeline(workload.timed.filter((op) => op.ended <= endMs), bucketMs, endMs),
    bucketMs,
    verdicts,
    notChecked: NOT_CHECKED,
    figures,
    excerpt: [...(linearizable.illegal ? linearizable.illegal.text.split('\n') : []), ...verdicts.filter((v) => v.result !== 'pass' && v !== verdicts[0]).flatMap((v) => [`${v.checker}:`, ...v.details.map((d) => `  ${d}`)]), `full history: ${path.join(outputDir, 'history.json')}`],
  };
  writeFileSync(path.join(outputDir, 'report.md'), formatMarkdown(report));
  writeFileSync(path.join(outputDir, 'report.html'), renderHtml(report));
  writeFileSync(path.join(outputDir, 'report.json'), JSON.stringify({ ...report, checkedOps: checked.length }, null, 1));
  const serializable = workload.history.map((op) => ({ ...op, return: op.return === Infinity ? 'Infinity' : op.return }));
  writeFileSync(path.join(outputDir, 'history.json'), JSON.stringify({ seed, schedule, faults, sentinel, history: serializable, once: workload.once, ttls: workload.ttls, watchers: watcherLogs }));
  if (values['vitest-json']) {
    mkdirSync(path.dirname(path.resolve(values['vitest-json'])), { recursive: true });
    writeFileSync(path.resolve(values['vitest-json']), JSON.stringify(vitestJson(report), null, 1));
  }
  for (const v of verdicts) log(`${v.result.toUpperCase()} ${v.checker}: ${v.summary}${v.details.length ? `\n    ${v.details.join('\n    ').slice(0, 4000)}` : ''}`);
  log(`report: ${path.join(outputDir, 'report.html')}`);
  if (!passed(report)) log(`FAILED (seed ${seed}). Reproduce: ${reproduce}`);
  return passed(report) ? 0 : 1;
}

// Ctrl-C or a CI timeout: leave the cluster whole (every fault healed) before exiting.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: healing every fault, then exiting`);
    void healAll(machines, log).finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    log(`the runner failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await healAll(machines, log).catch(() => undefined);
    process.exit(2);
  },
);
