import { describe, expect, it } from 'vitest';
import { generateHistory } from '../test/generate.js';
import { checkOperations } from './checker.js';
import { etcdModel } from './etcd-model.js';

describe('performance', () => {
  it('checks a few thousand operations from 10 concurrent clients well under the budget', () => {
    const { history } = generateHistory({ seed: 7, operations: 4000, clients: 10, keys: 4, pendingRate: 0.02 });
    const report = checkOperations(etcdModel, history, { timeoutMs: 60_000 });
    console.log(`4000 ops, 10 clients, 4 keys: ${report.result} in ${report.elapsedMs.toFixed(0)} ms`, report.partitions.map((p) => `${p.key}:${p.operations}:${p.elapsedMs.toFixed(0)}ms`).join(' '));
    expect(report.result).toBe('ok');
    // A generous bound: it takes well under a second here; a slow CI machine must not flake.
    expect(report.elapsedMs).toBeLessThan(20_000);
  }, 70_000);

  it('checks 2000 operations on a single key from 10 concurrent clients, without modifiedIndex to guide it', () => {
    const { history } = generateHistory({ seed: 11, operations: 2000, clients: 10, keys: 1, pendingRate: 0.02 });
    // Without indices the search has to find the order of concurrent writes itself.
    for (const operation of history) delete operation.output?.index;
    const report = checkOperations(etcdModel, history, { timeoutMs: 60_000 });
    console.log(`2000 ops, 10 clients, 1 key, no indices: ${report.result} in ${report.elapsedMs.toFixed(0)} ms`);
    expect(report.result).toBe('ok');
    expect(report.elapsedMs).toBeLessThan(20_000);
  }, 70_000);
});
