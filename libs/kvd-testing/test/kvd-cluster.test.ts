import { afterEach, describe, expect, it } from 'vitest';
import { KvdCluster } from '../src/index.js';

let cluster: KvdCluster | undefined;

afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

describe('KvdCluster', () => {
  it('starts a one-member kvd that takes a write and reads it back, and destroy() stops it', async () => {
    cluster = await KvdCluster.start(1, { logLevel: 'warn', waitWritable: true });
    const [member] = cluster.members;
    expect(cluster.endpoints).toEqual([member!.clientUrl]);
    expect((await cluster.leader()).name).toBe(member!.name);

    const key = `${cluster.endpointList}/v2/keys/kvd-testing/greeting`;
    const written = await fetch(key, { method: 'PUT', body: new URLSearchParams({ value: 'hello' }) });
    expect(written.status).toBe(201);
    const read = (await (await fetch(key)).json()) as { action: string; node: { key: string; value: string } };
    expect(read).toMatchObject({ action: 'get', node: { key: '/kvd-testing/greeting', value: 'hello' } });

    await cluster.destroy();
    expect(member!.running).toBe(false);
    await expect(fetch(key, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
    cluster = undefined;
  });
});
