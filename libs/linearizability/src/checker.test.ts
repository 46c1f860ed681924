import { describe, expect, it } from 'vitest';
import { checkOperations } from './checker.js';
import { etcdModel, type EtcdInput, type EtcdOutput } from './etcd-model.js';
import type { Model, Operation } from './types.js';

type Op = Operation<EtcdInput, EtcdOutput>;

const op = (clientId: number, input: EtcdInput, output: EtcdOutput | undefined, call: number, ret: number): Op => ({ clientId, input, output, call, return: ret });
const write = (value: string, index?: number): [EtcdInput, EtcdOutput] => [{ op: 'write', key: 'x', value }, index === undefined ? { ok: true } : { ok: true, index }];
const read = (value: string | null, index?: number): [EtcdInput, EtcdOutput] => [{ op: 'read', key: 'x' }, index === undefined ? { ok: true, value } : { ok: true, value, index }];
const cas = (expected: string, value: string, ok: boolean): [EtcdInput, EtcdOutput] => [{ op: 'cas', key: 'x', expected, value }, { ok }];
const at = (client: number, [input, output]: [EtcdInput, EtcdOutput], call: number, ret: number) => op(client, input, output, call, ret);
const pending = (client: number, [input]: [EtcdInput, EtcdOutput], call: number) => op(client, input, undefined, call, Infinity);
const check = (history: Op[]) => checkOperations(etcdModel, history).result;

describe('checkOperations with the etcd model', () => {
  it('accepts the empty history and a sequential one', () => {
    expect(check([])).toBe('ok');
    expect(check([at(1, write('a'), 0, 1), at(1, read('a'), 2, 3), at(2, cas('a', 'b', true), 4, 5), at(1, read('b'), 6, 7)])).toBe('ok');
  });

  it('lets a read concurrent with a write see the old or the new value', () => {
    const base = [at(1, write('a'), 0, 10), at(2, write('b'), 20, 40)];
    expect(check([...base, at(3, read('a'), 25, 35)])).toBe('ok');
    expect(check([...base, at(3, read('b'), 25, 35)])).toBe('ok');
    expect(check([...base, at(3, read(null), 25, 35)])).toBe('illegal');
  });

  it('rejects the classic stale read: a value overwritten before the read was called', () => {
    const report = checkOperations(etcdModel, [at(1, write('a'), 0, 10), at(2, write('b'), 20, 30), at(3, read('a'), 40, 50)]);
    expect(report.result).toBe('illegal');
    const illegal = report.illegal!;
    expect(illegal.key).toBe('x');
    expect(illegal.longestPrefix.map(({ index }) => index)).toEqual([0, 1]);
    expect(illegal.blocking.index).toBe(2);
    expect(illegal.window.map(({ index, linearized }) => [index, linearized])).toEqual([[2, false]]);
    expect(illegal.stateAfterPrefix).toBe('"b" @?');
    expect(illegal.text).toContain('key "x": not linearizable (3 operations)');
    expect(illegal.text).toContain('client 3');
    expect(illegal.text).toContain('read(x) -> "a"');
    expect(illegal.text).toContain('40.000 .. 50.000');
  });

  it('shows the operations concurrent with the one that cannot be linearized, marking those in the prefix', () => {
    const report = checkOperations(etcdModel, [at(1, write('a'), 0, 10), at(2, write('b'), 20, 30), at(3, read('a'), 40, 50), at(4, write('c'), 45, 55), at(5, read('c'), 60, 70)]);
    const illegal = report.illegal!;
    expect(illegal.blocking.index).toBe(2);
    expect(illegal.window.map(({ index }) => index)).toEqual([2, 3]);
    expect(illegal.text).toMatch(/\n {2}#2 .*read\(x\) -> "a"/);
    expect(illegal.text).toMatch(/\n(\*| ) #3 .*write\(x, "c"\)/);
  });

  it('rejects a new-then-old inversion between two reads concurrent with one write', () => {
    expect(check([at(1, write('a'), 0, 5), at(2, write('b'), 10, 100), at(3, read('b'), 20, 30), at(4, read('a'), 40, 50)])).toBe('illegal');
    expect(check([at(1, write('a'), 0, 5), at(2, write('b'), 10, 100), at(3, read('a'), 20, 30), at(4, read('b'), 40, 50)])).toBe('ok');
  });

  it('treats ops that never returned as maybe applied, at any time after their call', () => {
    // Took effect before the read.
    expect(check([pending(1, write('a'), 0), at(2, read('a'), 10, 20)])).toBe('ok');
    // Never took effect (or only later).
    expect(check([pending(1, write('a'), 0), at(2, read(null), 10, 20)])).toBe('ok');
    expect(check([pending(1, write('a'), 0), at(2, read(null), 10, 20), at(2, read('a'), 30, 40)])).toBe('ok');
    // Once seen, it cannot be undone.
    expect(check([pending(1, write('a'), 0), at(2, read('a'), 10, 20), at(2, read(null), 30, 40)])).toBe('illegal');
    // And it cannot take effect before it was called.
    expect(check([at(2, read('a'), 0, 5), pending(1, write('a'), 10)])).toBe('illegal');
  });

  it('orders CAS races: one winner per expected value', () => {
    const base = at(1, write('a'), 0, 5);
    expect(check([base, at(2, cas('a', 'b', true), 10, 20), at(3, cas('a', 'c', false), 10, 20), at(4, read('b'), 30, 40)])).toBe('ok');
    expect(check([base, at(2, cas('a', 'b', true), 10, 20), at(3, cas('a', 'c', true), 10, 20)])).toBe('illegal');
    expect(check([base, at(2, cas('a', 'b', true), 10, 20), at(3, cas('a', 'c', false), 10, 20), at(4, read('c'), 30, 40)])).toBe('illegal');
    // A compare that had to succeed.
    expect(check([base, at(2, cas('a', 'b', false), 10, 20)])).toBe('illegal');
    // A pending CAS that won (the read sees it) or lost.
    expect(check([base, pending(2, cas('a', 'b', true), 10), at(3, cas('a', 'c', false), 15, 20), at(4, read('b'), 30, 40)])).toBe('ok');
    expect(check([base, pending(2, cas('a', 'b', true), 10), at(3, cas('a', 'c', true), 15, 20), at(4, read('c'), 30, 40)])).toBe('ok');
  });

  it('models create, delete and compare-and-delete', () => {
    const key = 'x';
    expect(check([op(1, { op: 'create', key, value: 'a' }, { ok: true }, 0, 1), op(2, { op: 'create', key, value: 'b' }, { ok: false }, 2, 3), at(1, read('a'), 4, 5)])).toBe('ok');
    expect(check([op(1, { op: 'create', key, value: 'a' }, { ok: true }, 0, 1), op(2, { op: 'create', key, value: 'b' }, { ok: true }, 2, 3)])).toBe('illegal');
    expect(check([op(1, { op: 'delete', key }, { ok: false }, 0, 1), at(1, write('a'), 2, 3), op(1, { op: 'delete', key }, { ok: true }, 4, 5), at(1, read(null), 6, 7)])).toBe('ok');
    expect(check([op(1, { op: 'delete', key }, { ok: true }, 0, 1)])).toBe('illegal');
    expect(check([at(1, write('a'), 0, 1), op(2, { op: 'cad', key, expected: 'b' }, { ok: false }, 2, 3), op(2, { op: 'cad', key, expected: 'a' }, { ok: true }, 4, 5), at(1, read(null), 6, 7)])).toBe('ok');
    expect(check([at(1, write('a'), 0, 1), op(2, { op: 'cad', key, expected: 'a' }, { ok: false }, 2, 3)])).toBe('illegal');
  });

  it('checks modifiedIndex: reads see the index of the value, and a key’s index only grows', () => {
    expect(check([at(1, write('a', 5), 0, 1), at(2, read('a', 5), 2, 3), at(1, write('b', 9), 4, 5), at(2, read('b', 9), 6, 7)])).toBe('ok');
    expect(check([at(1, write('a', 5), 0, 1), at(2, read('a', 6), 2, 3)])).toBe('illegal');
    expect(check([at(1, write('a', 5), 0, 1), at(1, write('b', 4), 2, 3)])).toBe('illegal');
    // Concurrent writes may be ordered by their indices.
    expect(check([at(1, write('a', 5), 0, 10), at(2, write('b', 4), 0, 10), at(3, read('a', 5), 20, 30)])).toBe('ok');
    expect(check([at(1, write('a', 5), 0, 10), at(2, write('b', 4), 0, 10), at(3, read('b', 4), 20, 30)])).toBe('illegal');
    // An unknown write's index is learned from the read that sees it.
    expect(check([pending(1, write('a'), 0), at(2, read('a', 7), 10, 20), at(2, read('a', 7), 30, 40)])).toBe('ok');
    expect(check([pending(1, write('a'), 0), at(2, read('a', 7), 10, 20), at(2, read('a', 8), 30, 40)])).toBe('illegal');
  });

  it('checks keys independently and reports the key that fails', () => {
    const other = (input: EtcdInput) => ({ ...input, key: 'y' });
    const report = checkOperations(etcdModel, [
      at(1, write('a'), 0, 10),
      op(2, other({ op: 'write', key: 'y', value: 'b' }), { ok: true }, 0, 10),
      op(3, other({ op: 'read', key: 'y' }), { ok: true, value: 'a' }, 20, 30),
      at(3, read('a'), 20, 30),
    ]);
    expect(report.result).toBe('illegal');
    expect(report.illegal?.key).toBe('y');
    expect(report.partitions.map((partition) => [partition.key, partition.result])).toEqual([
      ['x', 'ok'],
      ['y', 'illegal'],
    ]);
  });

  it('gives up with "unknown" when the time budget is spent', () => {
    const history: Op[] = [];
    for (let i = 0; i < 3000; i++) history.push(at(i % 10, write(`v${i}`), i, i + 1));
    expect(checkOperations(etcdModel, history, { timeoutMs: 0 }).result).toBe('unknown');
    expect(checkOperations(etcdModel, history, { timeoutMs: 30_000 }).result).toBe('ok');
  });

  it('refuses an operation that returns before its call', () => {
    expect(() => check([at(1, write('a'), 10, 5)])).toThrow(/returns \(5\) before its call \(10\)/);
  });

  it('works with any model, without partitions', () => {
    // A counter: inc returns the new value.
    const counter: Model<number, 'inc', number> = {
      init: () => 0,
      step: (state, _input, output) => [output === undefined || output === state + 1, state + 1],
      equal: (a, b) => a === b,
      describe: (_input, output) => `inc -> ${output ?? '?'}`,
      describeState: (state) => String(state),
    };
    const inc = (output: number, call: number, ret: number): Operation<'inc', number> => ({ clientId: output, input: 'inc', output, call, return: ret });
    expect(checkOperations(counter, [inc(2, 0, 10), inc(1, 0, 10), inc(3, 11, 12)]).result).toBe('ok');
    const report = checkOperations(counter, [inc(2, 0, 1), inc(1, 2, 3)]);
    expect(report.result).toBe('illegal');
    expect(report.illegal?.text).toContain('inc -> 2');
  });
});
