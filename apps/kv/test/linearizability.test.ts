import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkOperations, etcdModel, type EtcdOutput } from '@minicore/linearizability';
import { KvdCluster, type KvdMember } from '@minicore/kvd-testing';
import { HistoryRecorder, finalReads, perform, seededRandom, sleep, type KvOperation } from './support/history.js';

/**
 * Jepsen-style tests of kvd: real clusters of kvd processes, concurrent clients recording a history
 * of quorum reads, writes, CAS and deletes while members are killed (-9), paused (SIGSTOP) and
 * restarted; the history, ending with a quorum read of every key from every member, must be
 * linearizable. A failing scenario prints the checker's report and its seed, and leaves the history
 * and the members' output in tmp/linearizability/. KV_LIN_SEED=<n> replays one fault schedule and workload.
 */

const KEYS = ['lin-a', 'lin-b', 'lin-c'];
const CLIENTS = 6;
const EVIDENCE_DIR = path.resolve(import.meta.dirname, '../../../tmp/linearizability');

let cluster: KvdCluster | undefined;
afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

function seedFor(base: number): number {
  const fromEnv = process.env['KV_LIN_SEED'];
  return fromEnv ? Number(fromEnv) : base;
}

interface Scenario {
  name: string;
  members: number;
  seed: number;
  /** The faults, run while the clients record; `random` is the scenario's seeded generator. */
  faults(cluster: KvdCluster, random: () => number, log: (line: string) => void): Promise<void>;
}

/** Runs a scenario: load before, during and after the faults, then the final reads and the check. */
async function runScenario(scenario: Scenario): Promise<{ history: KvOperation[]; finals: Map<string, Map<string, EtcdOutput>> }> {
  const random = seededRandom(scenario.seed);
  cluster = await KvdCluster.start(scenario.members);
  const current = cluster;
  const schedule: string[] = [];
  const started = performance.now();
  const log = (line: string) => schedule.push(`${((performance.now() - started) / 1000).toFixed(2)}s ${line}`);
  const recorder = new HistoryRecorder({ endpoints: current.endpoints, keys: KEYS, clients: CLIENTS, random: seededRandom(scenario.seed * 7919 + 1) });
  const finals = new Map<string, Map<string, EtcdOutput>>();
  const fail = async (why: string): Promise<never> => {
    const crashed = current.members.filter((member) => !member.running).map((member) => `${member.name} is not running; its output ends with:\n${member.output.slice(-3000)}`);
    const file = await keepEvidence(scenario, recorder.history, current.members, schedule, why);
    return expect.fail(`${scenario.name} (seed ${scenario.seed}): ${why}\nfault schedule:\n${schedule.join('\n')}\n${crashed.join('\n')}\nevidence: ${file}`);
  };

  recorder.start();
  let brokeOff: string | undefined;
  try {
    await sleep(1500);
    await scenario.faults(current, random, log);
    // Every member is back: load on a healed cluster, so the faults' after-effects get recorded too.
    await Promise.all(current.members.map((member) => member.waitHealthy()));
    await sleep(1500);
  } catch (error) {
    brokeOff = (error as Error).message.slice(0, 2000);
    log(`scenario broke off: ${brokeOff.split('\n')[0]}`);
  }
  await recorder.stop();
  // The final reads, from every member still running (all of them, unless one crashed).
  for (const member of current.members.filter((m) => m.running)) {
    try {
      finals.set(member.name, await finalReads(recorder, [member.clientUrl], KEYS));
    } catch (error) {
      brokeOff ??= (error as Error).message;
      log(`final reads from ${member.name} failed: ${(error as Error).message}`);
    }
  }

  // Whatever happened, the recorded history must be linearizable.
  const history = recorder.history;
  const report = checkOperations(etcdModel, history, { timeoutMs: 30_000 });
  const summary = `${history.length} ops (${JSON.stringify(recorder.stats)}), check ${report.result} in ${report.elapsedMs.toFixed(0)} ms`;
  console.log(`${scenario.name}: seed ${scenario.seed}, ${summary}`);
  if (report.result !== 'ok') await fail(`${summary}\n${report.illegal?.text ?? 'the checker ran out of time'}${brokeOff ? `\nthe scenario also broke off: ${brokeOff}` : ''}`);
  if (brokeOff) await fail(`the scenario broke off (the history up to then is linearizable: ${summary}): ${brokeOff}`);
  if (current.members.some((member) => !member.running)) await fail(`a member exited on its own (${summary})`);
  return { history, finals };
}

async function keepEvidence(scenario: Scenario, history: KvOperation[], members: KvdMember[], schedule: string[], report: string): Promise<string> {
  await mkdir(EVIDENCE_DIR, { recursive: true });
  const file = path.join(EVIDENCE_DIR, `${scenario.name.replaceAll(/[^a-z0-9]+/gi, '-')}-seed-${scenario.seed}.json`);
  const outputs = Object.fromEntries(members.map((member) => [member.name, member.output.slice(-200_000)]));
  const serializable = history.map((operation) => ({ ...operation, return: operation.return === Infinity ? 'Infinity' : operation.return }));
  await writeFile(file, JSON.stringify({ scenario: scenario.name, seed: scenario.seed, schedule, report, history: serializable, outputs }, null, 1));
  return file;
}

/** The members' final quorum reads all agree (they are in the checked history too, so this is a readable double check). */
function expectFinalsAgree(finals: Map<string, Map<string, EtcdOutput>>): void {
  const views = [...finals.values()].map((reads) => KEYS.map((key) => reads.get(key)?.value ?? null));
  for (const view of views) expect(view).toEqual(views[0]);
}

describe('linearizability of kvd under faults (real processes)', () => {
  it('3 members: kill -9 of the leader, then restart', async () => {
    const { finals } = await runScenario({
      name: '3 members kill leader',
      members: 3,
      seed: seedFor(101),
      faults: async (cluster, random, log) => {
        for (let round = 0; round < 2; round++) {
          const leader = await cluster.leader();
          log(`kill -9 leader ${leader.name}`);
          await leader.kill();
          await sleep(1000 + random() * 1500);
          log(`restart ${leader.name}`);
          leader.start();
          await leader.waitHealthy();
          await sleep(500 + random() * 1000);
        }
      },
    });
    expectFinalsAgree(finals);
  }, 60_000);

  it('3 members: SIGSTOP of the leader past the election timeout, then SIGCONT', async () => {
    const { finals } = await runScenario({
      name: '3 members pause leader',
      members: 3,
      seed: seedFor(202),
      faults: async (cluster, random, log) => {
        for (let round = 0; round < 2; round++) {
          const leader = await cluster.leader();
          log(`SIGSTOP leader ${leader.name}`);
          await leader.signal('SIGSTOP');
          await sleep(1500 + random() * 1500);
          log(`SIGCONT ${leader.name}`);
          await leader.signal('SIGCONT');
          await sleep(1000 + random() * 1000);
        }
      },
    });
    expectFinalsAgree(finals);
  }, 60_000);

  it('3 members: kill -9 of a random follower, then restart', async () => {
    const { finals } = await runScenario({
      name: '3 members kill follower',
      members: 3,
      seed: seedFor(303),
      faults: async (cluster, random, log) => {
        for (let round = 0; round < 2; round++) {
          const leader = await cluster.leader();
          const followers = cluster.members.filter((member) => member !== leader && member.running);
          const victim = followers[Math.floor(random() * followers.length)] as KvdMember;
          log(`kill -9 follower ${victim.name} (leader ${leader.name})`);
          await victim.kill();
          await sleep(1000 + random() * 1500);
          log(`restart ${victim.name}`);
          victim.start();
          await victim.waitHealthy();
          await sleep(500 + random() * 1000);
        }
      },
    });
    expectFinalsAgree(finals);
  }, 60_000);

  it('5 members: kill -9 of two members, then restart them', async () => {
    const { finals } = await runScenario({
      name: '5 members kill two',
      members: 5,
      seed: seedFor(404),
      faults: async (cluster, random, log) => {
        const order = [...cluster.members].sort(() => random() - 0.5);
        const victims = order.slice(0, 2);
        for (const victim of victims) {
          log(`kill -9 ${victim.name}`);
          await victim.kill();
          await sleep(300 + random() * 700);
        }
        await sleep(1000 + random() * 1500);
        for (const victim of victims) {
          log(`restart ${victim.name}`);
          victim.start();
        }
        await Promise.all(victims.map((victim) => victim.waitHealthy()));
      },
    });
    expectFinalsAgree(finals);
  }, 60_000);

  it('3 members: all killed -9 and restarted; no acknowledged write is lost', async () => {
    const acknowledged: { key: string; value: string }[] = [];
    const { finals } = await runScenario({
      name: '3 members kill all',
      members: 3,
      seed: seedFor(505),
      faults: async (cluster, random, log) => {
        // Acknowledged writes right before the crash, on keys of their own: each must survive it.
        for (let i = 0; i < 20; i++) {
          const member = cluster.members[Math.floor(random() * cluster.members.length)] as KvdMember;
          const key = `ack-${i}`;
          const value = `acked-${i}`;
          const outcome = await perform(member.clientUrl, { op: 'write', key, value }, 3000);
          if (outcome.kind === 'answer' && outcome.output.ok) acknowledged.push({ key, value });
        }
        log(`${acknowledged.length} acknowledged writes; kill -9 all`);
        await Promise.all(cluster.members.map((member) => member.kill()));
        await sleep(500 + random() * 1000);
        log('restart all');
        for (const member of cluster.members) member.start();
        await Promise.all(cluster.members.map((member) => member.waitHealthy()));
        await cluster.leader();
      },
    });
    expectFinalsAgree(finals);
    expect(acknowledged.length).toBeGreaterThan(15);
    const endpoint = cluster!.members[0]!.clientUrl;
    const lost: string[] = [];
    for (const { key, value } of acknowledged) {
      const outcome = await perform(endpoint, { op: 'read', key }, 5000);
      if (outcome.kind !== 'answer' || outcome.output.value !== value) lost.push(`${key}=${value}: ${JSON.stringify(outcome)}`);
    }
    expect(lost, 'acknowledged writes lost after kill -9 of all members').toEqual([]);
  }, 60_000);

  /** 3 members, then the leader and one follower killed: the survivor loses its leader and cannot elect one. */
  async function lonelySurvivor(): Promise<KvdMember> {
    cluster = await KvdCluster.start(3);
    // Let every member publish its client URLs first (a background proposal).
    await sleep(1000);
    const leader = await cluster.leader();
    const [survivor, other] = cluster.members.filter((member) => member !== leader) as [KvdMember, KvdMember];
    await other.kill();
    await leader.kill();
    // Past the election timeout the survivor pre-campaigns and forgets the leader; it cannot win alone.
    await sleep(1500);
    return survivor;
  }

  it('a quorum read on a member that knows no leader fails, and the member keeps running', async () => {
    const survivor = await lonelySurvivor();
    const outcome = await perform(survivor.clientUrl, { op: 'read', key: 'lin-a' }, 15_000);
    await sleep(500);
    expect(survivor.running, `the survivor exited; its output ends with:\n${survivor.output.slice(-3000)}`).toBe(true);
    expect(outcome.kind).toBe('none');
  }, 30_000);

  it('a write on a member that knows no leader times out with errorCode 300, and the member keeps running', async () => {
    const survivor = await lonelySurvivor();
    const response = await fetch(`${survivor.clientUrl}/v2/keys/lin-a`, { method: 'PUT', body: new URLSearchParams({ value: 'x' }), signal: AbortSignal.timeout(15_000) }).catch((error: Error) => error);
    await sleep(500);
    expect(survivor.running, `the survivor exited; its output ends with:\n${survivor.output.slice(-3000)}`).toBe(true);
    expect(response instanceof Response ? response.status : response.message).toBe(500);
    expect(((await (response as Response).json()) as { errorCode: number }).errorCode).toBe(300);
  }, 30_000);
});
