import type { EtcdInput, EtcdOutput, Model, Operation } from '../src/index.js';

export type EtcdOperation = Operation<EtcdInput, EtcdOutput>;

import { seededRandom } from '@minicore/seeded-random';

export { seededRandom };

export interface GenerateOptions {
  seed: number;
  operations: number;
  clients: number;
  keys: number;
  /** Chance that a change never returns (unknown outcome); half of those take effect. */
  pendingRate?: number;
}

export interface GeneratedHistory {
  history: EtcdOperation[];
  /** The operations that took effect, in the order they did (the witness linearization). */
  applied: number[];
}

/**
 * A history from a real sequential execution of etcd's keys: each operation gets a linearization
 * point (increasing), and a call before and a return after it, drawn at random so that about
 * `clients` operations overlap. Outputs come from running the operations in point order. Every value
 * written is unique, and every change gets the store-wide index etcd would give it.
 */
export function generateHistory(options: GenerateOptions): GeneratedHistory {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const keys = Array.from({ length: options.keys }, (_, i) => `k${i}`);
  const store = new Map<string, { value: string; index: number }>();
  const written: string[] = [];
  let storeIndex = 0;
  let nextValue = 0;
  let nextClient = options.clients;
  const free = Array.from({ length: options.clients }, () => 0);
  const clientIds = Array.from({ length: options.clients }, (_, i) => i);
  const history: EtcdOperation[] = [];
  const applied: number[] = [];
  const spacing = 10;
  const span = spacing * options.clients;
  let point = 0;

  for (let n = 0; n < options.operations; n++) {
    point = Math.max(point + spacing * (0.5 + random()), Math.min(...free) + 1);
    const ready = free.map((time, client) => ({ time, client })).filter(({ time }) => time < point);
    const { client } = pick(ready);
    const call = Math.max(free[client] as number, point - random() * span);
    const key = pick(keys);
    const current = store.get(key);
    const value = `v${nextValue++}`;
    const roll = random();
    const expected = current && random() < 0.7 ? current.value : written.length > 0 ? pick(written) : 'none';
    const input: EtcdInput =
      roll < 0.4 ? { op: 'read', key }
      : roll < 0.6 ? { op: 'write', key, value }
      : roll < 0.8 ? { op: 'cas', key, expected, value }
      : roll < 0.87 ? { op: 'create', key, value }
      : roll < 0.94 ? { op: 'delete', key }
      : { op: 'cad', key, expected };
    const pending = input.op !== 'read' && random() < (options.pendingRate ?? 0);
    const takesEffect = !pending || random() < 0.5;
    let output: EtcdOutput;
    const set = (newValue: string | null): EtcdOutput => {
      storeIndex += 1;
      if (newValue === null) store.delete(key);
      else {
        store.set(key, { value: newValue, index: storeIndex });
        written.push(newValue);
      }
      return { ok: true, index: storeIndex };
    };
    if (!takesEffect) output = { ok: false };
    else
      switch (input.op) {
        case 'read':
          output = current ? { ok: true, value: current.value, index: current.index } : { ok: true, value: null };
          break;
        case 'write':
          output = set(input.value);
          break;
        case 'create':
          output = current ? { ok: false } : set(input.value);
          break;
        case 'cas':
          output = current?.value === input.expected ? set(input.value) : { ok: false };
          break;
        case 'delete':
          output = current ? set(null) : { ok: false };
          break;
        case 'cad':
          output = current?.value === input.expected ? set(null) : { ok: false };
          break;
      }
    if (takesEffect) applied.push(history.length);
    if (pending) {
      history.push({ clientId: clientIds[client] as number, input, output: undefined, call, return: Infinity });
      // As in Jepsen, a client whose operation never returned is replaced by a fresh one.
      clientIds[client] = nextClient++;
      free[client] = call + 1;
    } else {
      const ret = point + random() * span;
      history.push({ clientId: clientIds[client] as number, input, output, call, return: ret });
      free[client] = ret + 1;
    }
  }
  return { history, applied };
}

/**
 * Makes a read see a value that two completed changes, one after the other in real time, had
 * already replaced before the read was called: a stale read that no order can explain (values are
 * unique). Returns the index of the corrupted read, or undefined when the history has no such triple.
 */
export function injectStaleRead(history: EtcdOperation[], random: () => number): number | undefined {
  const changed = (operation: EtcdOperation) => operation.return !== Infinity && operation.input.op !== 'read' && operation.output?.ok === true;
  const reads = history.map((operation, index) => ({ operation, index })).filter(({ operation }) => operation.input.op === 'read');
  const start = Math.floor(random() * reads.length);
  for (let r = 0; r < reads.length; r++) {
    const { operation: read, index } = reads[(start + r) % reads.length] as { operation: EtcdOperation; index: number };
    for (const older of history) {
      if (older.input.key !== read.input.key || !changed(older) || !('value' in older.input)) continue;
      const newer = history.find(
        (candidate) =>
          candidate.input.key === read.input.key &&
          changed(candidate) &&
          older.return < candidate.call &&
          candidate.return < read.call &&
          ('value' in candidate.input ? candidate.input.value : null) !== ('value' in older.input ? older.input.value : null),
      );
      if (!newer) continue;
      const value = (older.input as { value: string }).value;
      if (read.output?.value === value) continue;
      read.output = { ok: true, value, index: older.output?.index as number };
      return index;
    }
  }
  return undefined;
}

/**
 * The definition, by brute force: some order of the operations, respecting real time, that the
 * model accepts; operations with an unknown outcome may also be left out. Only for tiny histories.
 */
export function bruteForceLinearizable<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[]): boolean {
  const done = new Set<number>();
  const search = (state: S): boolean => {
    if (history.every((operation, index) => done.has(index) || operation.return === Infinity)) return true;
    // The earliest return among the operations not yet placed: whatever comes next must be called before it.
    const horizon = Math.min(...history.filter((_, index) => !done.has(index)).map((operation) => operation.return));
    for (let index = 0; index < history.length; index++) {
      const operation = history[index] as Operation<I, O>;
      if (done.has(index) || operation.call > horizon) continue;
      const [ok, next] = model.step(state, operation.input, operation.return === Infinity ? undefined : operation.output);
      if (!ok) continue;
      done.add(index);
      const found = search(next);
      done.delete(index);
      if (found) return true;
    }
    return false;
  };
  return search(model.init());
}
