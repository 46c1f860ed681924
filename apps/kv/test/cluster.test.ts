import { afterEach, describe, expect, it } from 'vitest';
import { KvdCluster, type KvdMember } from '@minicore/kvd-testing';

let cluster: KvdCluster | undefined;
afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

interface KeysResponse {
  action: string;
  node: { key: string; value?: string; modifiedIndex: number; nodes?: { key: string; value?: string }[] };
}

async function put(member: KvdMember, key: string, value: string): Promise<Response> {
  return fetch(`${member.clientUrl}/v2/keys${key}`, { method: 'PUT', body: new URLSearchParams({ value }), signal: AbortSignal.timeout(10_000) });
}

async function quorumGet(member: KvdMember, key: string, params: Record<string, string> = {}): Promise<KeysResponse> {
  const query = new URLSearchParams({ quorum: 'true', ...params });
  const response = await fetch(`${member.clientUrl}/v2/keys${key}?${query.toString()}`, { signal: AbortSignal.timeout(10_000) });
  expect(response.status).toBe(200);
  return (await response.json()) as KeysResponse;
}

async function countKeys(member: KvdMember, dir: string): Promise<number> {
  const body = await quorumGet(member, dir, { recursive: 'true' });
  return body.node.nodes?.length ?? 0;
}

describe('a 3-member kvd cluster (real processes)', () => {
  it('replicates a write through one member to a quorum read on another', async () => {
    cluster = await KvdCluster.start(3);
    const [a, b] = cluster.members as [KvdMember, KvdMember];
    const written = await put(a, '/greeting', 'hello');
    expect(written.status).toBe(201);
    expect(written.headers.get('x-etcd-index')).toBe('1');
    expect((await quorumGet(b, '/greeting')).node.value).toBe('hello');

    const metrics = await (await fetch(`${a.clientUrl}/metrics`)).text();
    expect(metrics).toMatch(/^kvd_server_has_leader 1$/m);
    expect(metrics).toMatch(/^kvd_store_index 1$/m);
    expect(Number(/^kvd_disk_syncs_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  });

  it('elects a new leader after kill -9 of the leader, keeps every acknowledged write, and the old leader rejoins', async () => {
    cluster = await KvdCluster.start(3);
    const leader = await cluster.leader();
    const others = cluster.members.filter((m) => m !== leader);
    for (let i = 0; i < 50; i++) expect((await put(others[i % 2]!, `/acked/k${i}`, `v${i}`)).ok).toBe(true);

    await leader.kill();
    const killedAt = Date.now();
    const next = await cluster.leader();
    const electionMs = Date.now() - killedAt;
    expect(next).not.toBe(leader);
    expect(electionMs).toBeLessThan(3000);
    expect(await countKeys(others[0]!, '/acked')).toBe(50);
    expect((await put(next, '/after', 'failover')).ok).toBe(true);

    leader.start();
    await leader.waitHealthy();
    // The restarted member catches up on what it missed.
    const deadline = Date.now() + 10_000;
    let seen: string | undefined;
    while (Date.now() < deadline) {
      const response = await fetch(`${leader.clientUrl}/v2/keys/after`);
      if (response.ok) {
        seen = ((await response.json()) as KeysResponse).node.value;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen).toBe('failover');
    expect(await countKeys(leader, '/acked')).toBe(50);
  });

  it('keeps every acknowledged write when all members are killed -9 and restarted', async () => {
    cluster = await KvdCluster.start(3);
    const writes = Array.from({ length: 100 }, (_, i) => put(cluster!.members[i % 3]!, `/durable/k${i}`, `v${i}`));
    const statuses = (await Promise.all(writes)).map((response) => response.status);
    expect(statuses.every((status) => status === 201)).toBe(true);

    await Promise.all(cluster.members.map((member) => member.kill()));
    for (const member of cluster.members) member.start();
    await Promise.all(cluster.members.map((member) => member.waitHealthy()));
    await cluster.leader();
    for (const member of cluster.members) expect(await countKeys(member, '/durable')).toBe(100);
  });

  it('hands leadership over on a graceful stop, so the cluster keeps a leader without an election timeout', async () => {
    cluster = await KvdCluster.start(3, { electionTimeout: 3000, heartbeatInterval: 100 });
    const leader = await cluster.leader();
    const stoppedAt = Date.now();
    expect(await leader.stop()).toBe(0);
    const next = await cluster.leader();
    expect(next).not.toBe(leader);
    // Without a transfer, the followers would wait at least one election timeout (3 s) before voting.
    expect(Date.now() - stoppedAt).toBeLessThan(2500);
    expect(leader.output).toContain('leadership transferred for shutdown');
  });

  it('stops at once on SIGTERM while clients hold long-poll watches on it, leadership handed over first', async () => {
    cluster = await KvdCluster.start(3, { electionTimeout: 3000, heartbeatInterval: 100 });
    const leader = await cluster.leader();
    // Other daemons of a machine (schedulerd, updaterd) keep watches open on their machine's kvd.
    const watches = Array.from({ length: 5 }, (_, i) =>
      fetch(`${leader.clientUrl}/v2/keys/held/w${i}?wait=true`, { signal: AbortSignal.timeout(20_000) }).then(
        (response) => response.status,
        () => 'ended',
      ),
    );
    const stream = fetch(`${leader.clientUrl}/v2/keys/held?wait=true&recursive=true&stream=true`, { signal: AbortSignal.timeout(20_000) }).then(
      async (response) => (await response.text(), 'ended'),
      () => 'ended',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stoppedAt = Date.now();
    const code = await leader.stop();
    const stopMs = Date.now() - stoppedAt;
    expect(code, `kvd exited ${code} after ${stopMs} ms:\n${leader.output.slice(-4000)}`).toBe(0);
    // Before the fix the close waited for the watches until the grace period (10 s) ran out.
    expect(stopMs).toBeLessThan(3000);
    expect(leader.output).toContain('leadership transferred for shutdown');
    await Promise.all([...watches, stream]);
    const next = await cluster.leader();
    expect(next).not.toBe(leader);
  });

  it('catches a member up with a snapshot after the log it missed was compacted', async () => {
    cluster = await KvdCluster.start(3, { snapshotCount: 50 });
    const leader = await cluster.leader();
    const lagging = cluster.members.find((m) => m !== leader)!;
    await lagging.kill();
    for (let i = 0; i < 200; i++) expect((await put(leader, `/snap/k${i}`, `v${i}`)).ok).toBe(true);
    expect(leader.output).toContain('snapshot taken');

    lagging.start();
    await lagging.waitHealthy();
    const deadline = Date.now() + 10_000;
    let count = 0;
    while (Date.now() < deadline && count < 200) {
      const response = await fetch(`${lagging.clientUrl}/v2/keys/snap?recursive=true`);
      count = response.ok ? (((await response.json()) as KeysResponse).node.nodes?.length ?? 0) : 0;
      if (count < 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(count).toBe(200);
  });
});

describe('kvd start-up errors', () => {
  it('refuses a damaged data directory with an error naming it, instead of starting empty', async () => {
    cluster = await KvdCluster.start(1);
    const [member] = cluster.members as [KvdMember];
    expect((await put(member, '/precious', 'data')).ok).toBe(true);
    expect(await member.stop()).toBe(0);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${member.dataDir}/member.json`, '{ "version": 1, "memberId": ');
    member.start();
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (!member.running) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    expect(member.output).toContain(`${member.dataDir}/member.json is corrupt`);
  });
});
