import { describe, expect, it, vi } from 'vitest';
import { compareAndSwap } from './compare-and-swap.js';
import { KvConflictError, KvError } from './errors.js';
import type { KvResponse } from './types.js';

const at = (value: string, index: number): KvResponse => ({ action: 'get', node: { key: '/sem', value, createdIndex: 1, modifiedIndex: index }, etcdIndex: index });
const notFound = new KvError({ errorCode: 100, message: 'Key not found', cause: '/sem', index: 1 }, 404);
const testFailed = new KvError({ errorCode: 101, message: 'Compare failed', cause: '[4 != 5]', index: 5 }, 412);

describe('compareAndSwap', () => {
  it('writes conditioned on the modifiedIndex it read, retrying when it lost the race', async () => {
    const get = vi.fn().mockResolvedValueOnce(at('1', 4)).mockResolvedValueOnce(at('2', 5));
    const set = vi.fn().mockRejectedValueOnce(testFailed).mockResolvedValueOnce({ ...at('3', 6), action: 'compareAndSwap' });
    const result = await compareAndSwap({ get, set }, '/sem', (node) => String(Number(node?.value) + 1));
    expect(result?.node.value).toBe('3');
    expect(set.mock.calls.map((call): unknown[] => [call[1], (call[2] as { prevIndex?: number }).prevIndex])).toEqual([['2', 4], ['3', 5]]);
  });

  it('creates an absent key with prevExist=false, and writes nothing when change declines', async () => {
    const set = vi.fn().mockResolvedValue(at('first', 2));
    await compareAndSwap({ get: vi.fn().mockRejectedValue(notFound), set }, '/sem', (node) => (node ? undefined : 'first'), { ttl: 30 });
    expect(set).toHaveBeenCalledWith('/sem', 'first', expect.objectContaining({ prevExist: false, ttl: 30 }));
    const untouched = vi.fn();
    expect(await compareAndSwap({ get: vi.fn().mockResolvedValue(at('x', 3)), set: untouched }, '/sem', () => undefined)).toBeUndefined();
    expect(untouched).not.toHaveBeenCalled();
  });

  it('gives up with KvConflictError after maxAttempts, and passes other errors through', async () => {
    const get = vi.fn().mockResolvedValue(at('1', 4));
    await expect(compareAndSwap({ get, set: vi.fn().mockRejectedValue(testFailed) }, '/sem', () => '2', { maxAttempts: 3 })).rejects.toBeInstanceOf(KvConflictError);
    expect(get).toHaveBeenCalledTimes(3);
    const denied = new KvError({ errorCode: 102, message: 'Not a file', cause: '/sem', index: 4 }, 403);
    await expect(compareAndSwap({ get, set: vi.fn().mockRejectedValue(denied) }, '/sem', () => '2')).rejects.toBe(denied);
  });
});
