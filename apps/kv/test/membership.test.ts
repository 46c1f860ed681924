import { afterEach, describe, expect, it } from 'vitest';
import { KvdCluster, KvdMember, freePort } from '@minicore/kvd-testing';

let cluster: KvdCluster | undefined;
afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

interface MembersBody {
  members: { id: string; name: string; peerURLs: string[]; clientURLs: string[] }[];
}

async function members(member: KvdMember): Promise<MembersBody['members']> {
  return ((await (await fetch(`${member.clientUrl}/v2/members`)).json()) as MembersBody).members;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('membership changes (real processes)', () => {
  it('adds a fourth member that catches up and serves, then removes it', async () => {
    cluster = await KvdCluster.start(3);
    const [first] = cluster.members as [KvdMember];
    for (let i = 0; i < 20; i++) await fetch(`${first.clientUrl}/v2/keys/before/k${i}`, { method: 'PUT', body: new URLSearchParams({ value: String(i) }) });

    const fourth = await cluster.join('m4');
    const listed = await members(first);
    expect(listed).toHaveLength(4);
    const added = listed.find((member) => member.peerURLs.includes(fourth.peerUrl));
    expect(added).toBeDefined();
    await waitFor(async () => (await members(first)).find((member) => member.id === added!.id)?.name === 'm4');

    const read = await fetch(`${fourth.clientUrl}/v2/keys/before?recursive=true&quorum=true`);
    expect(((await read.json()) as { node: { nodes: unknown[] } }).node.nodes).toHaveLength(20);
    const write = await fetch(`${fourth.clientUrl}/v2/keys/from-m4`, { method: 'PUT', body: new URLSearchParams({ value: 'hi' }) });
    expect(write.status).toBe(201);

    const removed = await fetch(`${first.clientUrl}/v2/members/${added!.id}`, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect((await members(first)).map((member) => member.id)).not.toContain(added!.id);
    const again = await fetch(`${first.clientUrl}/v2/members/${added!.id}`, { method: 'DELETE' });
    expect(again.status).toBe(410);
    // The removed member learns it and exits on its own.
    await waitFor(async () => !fourth.running);
    expect(fourth.output).toContain('this member was removed from the cluster');
    // The three remaining members still commit writes.
    expect((await fetch(`${first.clientUrl}/v2/keys/after-remove`, { method: 'PUT', body: new URLSearchParams({ value: 'ok' }) })).status).toBe(201);
  });

  it('refuses a member that was not added first, with the command to run', async () => {
    cluster = await KvdCluster.start(1);
    const [only] = cluster.members as [KvdMember];
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const stranger = new KvdMember('stranger', `http://127.0.0.1:${await freePort()}`, peerUrl, `${only.dataDir}-stranger`, [
      '--name', 'stranger', '--data-dir', `${only.dataDir}-stranger`,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
      '--listen-client-urls', `http://127.0.0.1:${await freePort()}`,
      '--initial-cluster', `m1=${only.peerUrl},stranger=${peerUrl}`, '--initial-cluster-state', 'existing',
    ]);
    stranger.start();
    await waitFor(async () => !stranger.running);
    expect(stranger.output).toContain('the cluster does not list this member');
    expect(stranger.output).toContain(`kvctl member add stranger ${peerUrl}`);
  });
});

describe('proxy mode (real processes)', () => {
  it('forwards reads, writes and watches to the members; readonly refuses writes with 501', async () => {
    cluster = await KvdCluster.start(3);
    const proxy = await cluster.proxy('on');
    const written = await fetch(`${proxy.clientUrl}/v2/keys/through-proxy`, { method: 'PUT', body: new URLSearchParams({ value: 'v1' }) });
    expect(written.status).toBe(201);
    expect(written.headers.get('x-etcd-index')).not.toBeNull();

    const watch = fetch(`${proxy.clientUrl}/v2/keys/through-proxy?wait=true`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await fetch(`${cluster.members[1]!.clientUrl}/v2/keys/through-proxy`, { method: 'PUT', body: new URLSearchParams({ value: 'v2' }) });
    const event = (await (await watch).json()) as { action: string; node: { value: string } };
    expect(event).toMatchObject({ action: 'set', node: { value: 'v2' } });

    // Reads go on when the member the proxy used last is gone.
    await cluster.members[0]!.kill();
    const read = await fetch(`${proxy.clientUrl}/v2/keys/through-proxy`);
    expect(((await read.json()) as { node: { value: string } }).node.value).toBe('v2');

    const readonly = await cluster.proxy('readonly');
    expect((await fetch(`${readonly.clientUrl}/v2/keys/through-proxy`)).status).toBe(200);
    const refused = await fetch(`${readonly.clientUrl}/v2/keys/through-proxy`, { method: 'PUT', body: new URLSearchParams({ value: 'no' }) });
    expect(refused.status).toBe(501);
  });
});
