import { afterEach, describe, expect, it } from 'vitest';
import { EtcdCluster, etcdInstalled } from '../src/index.js';

let cluster: EtcdCluster | undefined;

afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

describe.skipIf(!etcdInstalled)('EtcdCluster (skipped only where etcd-server is not installed)', () => {
  it('starts a 3-member etcd 3.4 serving the v2 keys API on every member, and destroy() stops it', async () => {
    cluster = await EtcdCluster.start(3);
    const [first, second] = cluster.members;
    const written = await fetch(`${first!.clientUrl}/v2/keys/etcd-testing/greeting`, { method: 'PUT', body: new URLSearchParams({ value: 'hello' }) });
    expect(written.status).toBe(201);
    const read = (await (await fetch(`${second!.clientUrl}/v2/keys/etcd-testing/greeting?quorum=true`)).json()) as { node: { value: string } };
    expect(read.node.value).toBe('hello');
    await cluster.destroy();
    expect(cluster.members.every((member) => !member.running)).toBe(true);
    cluster = undefined;
  });
});
