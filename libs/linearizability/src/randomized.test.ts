import { describe, expect, it } from 'vitest';
import { bruteForceLinearizable, generateHistory, injectStaleRead, seededRandom, type EtcdOperation } from '../test/generate.js';
import { checkOperations } from './checker.js';
import { etcdModel, type EtcdInput, type EtcdOutput } from './etcd-model.js';

describe('randomized histories', () => {
  it('accepts histories recorded from a real sequential execution, and rejects them once a read is made stale', () => {
    let corrupted = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const { history } = generateHistory({ seed, operations: 300, clients: 6, keys: 3, pendingRate: 0.05 });
      const report = checkOperations(etcdModel, history, { timeoutMs: 20_000 });
      expect(report.result, `seed ${seed}\n${report.illegal?.text ?? ''}`).toBe('ok');

      const stale = injectStaleRead(history, seededRandom(seed));
      if (stale === undefined) continue;
      corrupted += 1;
      const after = checkOperations(etcdModel, history, { timeoutMs: 20_000 });
      expect(after.result, `seed ${seed}: read #${stale} made stale`).toBe('illegal');
      expect(after.illegal?.key).toBe(history[stale]?.input.key);
    }
    expect(corrupted).toBeGreaterThan(40);
  });

  it('rejects a read of a value nobody wrote', () => {
    for (let seed = 100; seed < 120; seed++) {
      const { history } = generateHistory({ seed, operations: 200, clients: 5, keys: 2, pendingRate: 0.05 });
      const read = history.find((operation) => operation.input.op === 'read' && operation.call > 500) as EtcdOperation;
      read.output = { ok: true, value: 'phantom', index: 1 };
      expect(checkOperations(etcdModel, history).result, `seed ${seed}`).toBe('illegal');
    }
  });

  it('agrees with a brute-force search on small random histories, legal or not', () => {
    const results = { ok: 0, illegal: 0 };
    for (let seed = 1; seed <= 1500; seed++) {
      const history = randomSmallHistory(seed);
      const expected = bruteForceLinearizable(etcdModel, history) ? 'ok' : 'illegal';
      const actual = checkOperations(etcdModel, history).result;
      expect(actual, `seed ${seed}: ${JSON.stringify(history)}`).toBe(expected);
      results[expected] += 1;
    }
    // Both outcomes must be well represented for the comparison to mean something.
    expect(results.ok).toBeGreaterThan(200);
    expect(results.illegal).toBeGreaterThan(200);
  });
});

/** 3 to 7 operations on one key with random inputs, outputs and intervals: mostly nonsense, sometimes legal. */
function randomSmallHistory(seed: number): EtcdOperation[] {
  const random = seededRandom(seed);
  const values = ['a', 'b', 'c'];
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const count = 3 + Math.floor(random() * 5);
  const history: EtcdOperation[] = [];
  for (let i = 0; i < count; i++) {
    const key = 'x';
    const roll = random();
    const input: EtcdInput =
      roll < 0.35 ? { op: 'read', key }
      : roll < 0.6 ? { op: 'write', key, value: pick(values) }
      : roll < 0.75 ? { op: 'cas', key, expected: pick(values), value: pick(values) }
      : roll < 0.85 ? { op: 'create', key, value: pick(values) }
      : roll < 0.93 ? { op: 'delete', key }
      : { op: 'cad', key, expected: pick(values) };
    const output: EtcdOutput = input.op === 'read' ? { ok: true, value: random() < 0.2 ? null : pick(values) } : { ok: input.op === 'write' || random() < 0.6 };
    const call = Math.floor(random() * 20);
    const ret = input.op !== 'read' && random() < 0.15 ? Infinity : call + Math.floor(random() * 8);
    history.push({ clientId: i, input, output: ret === Infinity ? undefined : output, call, return: ret });
  }
  return history;
}
