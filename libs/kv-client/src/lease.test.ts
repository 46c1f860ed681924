import { describe, expect, it, vi } from 'vitest';
import { KvError, KvUnavailableError } from './errors.js';
import { Lease, withTtlRefresh } from './lease.js';
import type { KvResponse } from './types.js';

const written: KvResponse = { action: 'set', node: { key: '/svc/a', value: 'host', createdIndex: 7, modifiedIndex: 7, ttl: 3 }, etcdIndex: 7 };

function fakeClient(refresh: () => Promise<KvResponse>) {
  return {
    set: vi.fn(async () => written),
    createInOrder: vi.fn(async () => written),
    refresh: vi.fn(refresh),
    delete: vi.fn(async () => written),
  };
}

describe('Lease', () => {
  it('refreshes on the interval and removes its key (if still ours) on stop', async () => {
    const client = fakeClient(async () => written);
    const lease = await Lease.set(client, '/svc/a', 'host', { ttl: 3, refreshEveryMs: 10 });
    await vi.waitFor(() => expect(client.refresh.mock.calls.length).toBeGreaterThanOrEqual(2));
    expect(client.refresh).toHaveBeenCalledWith('/svc/a', 3, expect.anything());
    await lease.stop();
    expect(client.delete).toHaveBeenCalledWith('/svc/a', { prevValue: 'host' });
    const calls = client.refresh.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(client.refresh.mock.calls.length).toBe(calls);
  });

  it('is lost when a refresh finds the key gone, and stops refreshing', async () => {
    const client = fakeClient(async () => {
      throw new KvError({ errorCode: 100, message: 'Key not found', cause: '/svc/a', index: 9 }, 404);
    });
    const lease = new Lease(client, written, { ttl: 3, refreshEveryMs: 10 });
    await expect(lease.lost).resolves.toMatchObject({ code: 'KV_ERR_LEASE_LOST', key: '/svc/a' });
    expect(lease.isLost).toBe(true);
    await lease.stop();
    expect(client.delete).not.toHaveBeenCalled();
  });

  it('rides out a failed refresh while the TTL has not run out', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const client = fakeClient(async () => {
      if (++calls === 1) throw new KvUnavailableError([]);
      return written;
    });
    const lease = new Lease(client, written, { ttl: 3, refreshEveryMs: 10, onRefreshError: (error) => errors.push(error) });
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(2));
    expect(lease.isLost).toBe(false);
    expect(errors).toHaveLength(1);
    await lease.stop({ remove: false });
    expect(client.delete).not.toHaveBeenCalled();
  });

  it('withTtlRefresh removes the key after the work, also when it throws', async () => {
    const client = fakeClient(async () => written);
    await expect(withTtlRefresh(client, '/svc/a', 'host', { ttl: 3 }, async () => { throw new Error('work failed'); })).rejects.toThrow('work failed');
    expect(client.set).toHaveBeenCalledWith('/svc/a', 'host', { ttl: 3 });
    expect(client.delete).toHaveBeenCalledTimes(1);
  });
});
