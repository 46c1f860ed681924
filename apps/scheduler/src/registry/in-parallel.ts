/**
 * Runs `work` over `items` with at most `limit` in flight. kv's v2 API has no multi-key write, so
 * a burst of placements is pipelined instead: one round trip per key, but many round trips at
 * once (kvd and etcd both batch concurrent proposals into one Raft append and one disk sync).
 */
export async function inParallel<T>(items: Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await work(next.value);
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}
