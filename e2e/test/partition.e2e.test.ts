// Scenario 5 (partition), kv part: one machine is cut off from the others (iptables inside it; the host
// still reaches it). Its kvd cannot commit a write or answer a quorum read, the majority keeps or
// elects a leader and commits, and after the heal the cut-off member catches up and every member
// holds the same value at the same index for every key written: no split brain. Once with a follower
// cut off, once with the leader.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { KvResponse } from '@minicore/kv-client';
import { clusterUnderTest, type ClusterMachine } from '../src/cluster.js';
import { allHealthy, findLeader, kvThrough } from '../src/kv.js';
import { cutOff, heal } from '../src/partition.js';
import { waitFor } from '../src/wait.js';

const cluster = clusterUnderTest();
const run = `/e2e/partition/${new Date().toISOString().replaceAll(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
const cut = new Set<ClusterMachine>();

afterAll(async () => {
  for (const machine of cut) await heal(cluster, machine);
});

/** How long a client waits for the cut-off side before it counts the request as failed. */
const minorityTimeoutMs = 3_000;

/** What each member's own copy (a local, non-quorum read) holds for `key`. */
async function ownCopies(key: string): Promise<{ machine: string; value: string | undefined; modifiedIndex: number | undefined }[]> {
  return Promise.all(
    cluster.machines.map(async (machine) => {
      const answer = await kvThrough([machine]).get(key).catch((error: unknown) => {
        if ((error as { errorCode?: number }).errorCode === 100) return undefined; // Key not found
        throw error;
      });
      return { machine: machine.name, value: answer?.node?.value, modifiedIndex: answer?.node?.modifiedIndex };
    }),
  );
}

/** Every member holds the same value at the same modifiedIndex for each key: no split brain. */
async function expectAgreement(keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    const copies = await ownCopies(key);
    const seen = copies.map(({ value, modifiedIndex }) => ({ value, modifiedIndex }));
    expect(seen, `${key} on ${copies.map((copy) => copy.machine).join(', ')}`).toEqual(seen.map(() => seen[0]));
  }
}

/** The leader each member names. */
async function leadersNamed(): Promise<string[]> {
  return Promise.all(cluster.machines.map(async (machine) => (await kvThrough([machine], 1_000).selfStats()).leaderInfo.leader));
}

async function partitionScenario(role: 'follower' | 'leader'): Promise<void> {
  const leader = await waitFor('a leader', () => findLeader(cluster.machines), { timeoutMs: 10_000 });
  const isolated = role === 'leader' ? leader : cluster.machines.find((machine) => machine !== leader)!;
  const majority = cluster.machines.filter((machine) => machine !== isolated);
  const prefix = `${run}/${role}`;
  const everyone = kvThrough(cluster.machines);
  const before = await everyone.set(`${prefix}/before`, 'written by everyone');
  await waitFor(`${isolated.name} to hold the first write`, async () => ((await kvThrough([isolated]).get(`${prefix}/before`).catch(() => undefined))?.node?.value ? true : undefined), { timeoutMs: 10_000 });

  cut.add(isolated);
  await cutOff(cluster, isolated, majority);
  const cutAt = Date.now();

  // The majority has (or elects) a leader of its own and commits.
  const majorityLeader = await waitFor('a leader in the majority', () => findLeader(majority), { timeoutMs: 30_000, intervalMs: 100 });
  const electedMs = Date.now() - cutAt;
  const majorityClient = kvThrough(majority);
  const committed: KvResponse[] = [];
  for (let n = 0; n < 10; n++) committed.push(await majorityClient.set(`${prefix}/majority/${n}`, `value-${n}`));
  await majorityClient.set(`${prefix}/before`, 'overwritten by the majority');

  // The cut-off member cannot commit a write, nor answer a quorum read (its own copy may be stale).
  const minority = kvThrough([isolated], minorityTimeoutMs);
  const minorityKey = `${prefix}/minority`;
  const writeStarted = Date.now();
  const minorityWrite = await minority.set(minorityKey, 'written on the cut-off side').then(
    (answer) => ({ ok: true as const, answer }),
    (error: unknown) => ({ ok: false as const, error: error as Error }),
  );
  const writeFailedMs = Date.now() - writeStarted;
  expect(minorityWrite.ok, `a write through the cut-off ${isolated.name} was acknowledged: ${JSON.stringify(minorityWrite)}`).toBe(false);
  const quorumRead = await minority.get(`${prefix}/before`, { quorum: true }).then(
    (answer) => ({ ok: true as const, value: answer.node?.value }),
    (error: unknown) => ({ ok: false as const, error: (error as Error).message }),
  );
  expect(quorumRead, `a quorum read through the cut-off ${isolated.name} answered`).toMatchObject({ ok: false });
  // It really is cut off: its own copy has none of the majority's writes.
  const stale = await minority.get(`${prefix}/before`);
  expect(stale.node?.value).toBe('written by everyone');
  console.log(
    `${role} ${isolated.name} cut off: the majority's leader is ${majorityLeader.name} (${electedMs} ms after the cut); ` +
      `a write through ${isolated.name} failed after ${writeFailedMs} ms (${minorityWrite.ok ? '' : minorityWrite.error.message.split('\n')[0]})`,
  );

  // Heal: the cut-off member catches up from the majority, and nobody kept a history of its own.
  await heal(cluster, isolated);
  cut.delete(isolated);
  const healedAt = Date.now();
  const last = committed.at(-1)!;
  await waitFor(`${isolated.name} to catch up`, async () => {
    const own = await kvThrough([isolated], 1_000).get(last.node.key);
    return own.node?.modifiedIndex === last.node?.modifiedIndex ? true : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200 });
  const caughtUpMs = Date.now() - healedAt;
  await waitFor('every kv member healthy', async () => ((await allHealthy(cluster.machines)) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
  await waitFor('every member to name the same leader', async () => {
    const named = await leadersNamed();
    return named.every((id) => id && id === named[0]) ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 250 });

  const keys = [`${prefix}/before`, minorityKey, ...committed.map((answer) => answer.node.key)];
  // The cut-off side's unacknowledged write may have been dropped or, later, committed: either way
  // every member must hold the same. Quorum-read it first, so every member has applied up to here.
  const minorityOutcome = await everyone.get(minorityKey, { quorum: true }).then((answer) => `committed at ${answer.node?.modifiedIndex}`, () => 'dropped');
  await waitFor('every member at the latest write', async () => {
    const copies = await ownCopies(`${prefix}/before`);
    return copies.every((copy) => copy.value === 'overwritten by the majority') ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200 });
  await expectAgreement(keys);
  for (const answer of committed) {
    expect((await everyone.get(answer.node.key, { quorum: true })).node?.modifiedIndex).toBe(answer.node?.modifiedIndex);
  }
  expect(before.node?.modifiedIndex).toBeLessThan(committed[0]!.node.modifiedIndex);
  console.log(`healed ${isolated.name}: caught up ${caughtUpMs} ms later; its unacknowledged write was ${minorityOutcome}; all ${cluster.machines.length} members agree on ${keys.length} keys`);
}

describe.skipIf(cluster.kind !== 'vagrant')(`kv under a network partition on the ${cluster.kind} cluster`, () => {
  beforeEach(async () => {
    await waitFor('every kv member healthy', async () => ((await allHealthy(cluster.machines)) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
  });

  it('a cut-off follower cannot commit, the majority keeps committing, and after the heal all members agree', async () => {
    await partitionScenario('follower');
  });

  it('a cut-off leader cannot commit, the majority elects a new leader and commits, and after the heal all members agree', async () => {
    await partitionScenario('leader');
  });
});
