import type { Model, Operation, Partition } from './types.js';

/**
 * Operations on one key of etcd's v2 keys API, as a linearizable register:
 * - `read`: GET ?quorum=true;
 * - `write`: PUT value=;
 * - `create`: PUT value= prevExist=false;
 * - `cas`: PUT value= prevValue=;
 * - `delete`: DELETE;
 * - `cad`: DELETE prevValue= (compare-and-delete).
 */
export type EtcdInput =
  | { op: 'read'; key: string }
  | { op: 'write'; key: string; value: string }
  | { op: 'create'; key: string; value: string }
  | { op: 'cas'; key: string; expected: string; value: string }
  | { op: 'delete'; key: string }
  | { op: 'cad'; key: string; expected: string };

/**
 * What the server answered. `ok` is false for a compare that failed (101), a create of an existing
 * key (105) or a delete of a missing key (100); a read has `ok: true` and `value` (null when not
 * found). `index` is the key's modifiedIndex after a successful change, or the one a read saw: when
 * given, the model also checks that a key's modifiedIndex only grows and that reads see the index of
 * the write they see.
 */
export interface EtcdOutput {
  ok: boolean;
  value?: string | null;
  index?: number;
}

/** One key's state: its value (null when absent) and the index of its last change (null when unknown). */
export interface EtcdState {
  value: string | null;
  index: number | null;
}

const ABSENT: EtcdState = { value: null, index: 0 };

/** A change to the state, if its index (when known) is newer than the state's (when known). */
function change(state: EtcdState, value: string | null, output: EtcdOutput | undefined): [boolean, EtcdState] {
  const index = output?.index ?? null;
  if (index !== null && state.index !== null && index <= state.index) return [false, state];
  return [true, { value, index }];
}

function step(state: EtcdState, input: EtcdInput, output: EtcdOutput | undefined): [boolean, EtcdState] {
  switch (input.op) {
    case 'read': {
      if (!output) return [true, state];
      const value = output.value ?? null;
      if (value !== state.value) return [false, state];
      if (value === null || output.index === undefined) return [true, state];
      if (state.index === null) return [true, { value, index: output.index }];
      return [output.index === state.index, state];
    }
    case 'write':
      return change(state, input.value, output);
    case 'create': {
      const applies = state.value === null;
      if (output && output.ok !== applies) return [false, state];
      return applies ? change(state, input.value, output) : [true, state];
    }
    case 'cas': {
      const applies = state.value === input.expected;
      if (output && output.ok !== applies) return [false, state];
      return applies ? change(state, input.value, output) : [true, state];
    }
    case 'delete': {
      const applies = state.value !== null;
      if (output && output.ok !== applies) return [false, state];
      return applies ? change(state, null, output) : [true, state];
    }
    case 'cad': {
      const applies = state.value === input.expected;
      if (output && output.ok !== applies) return [false, state];
      return applies ? change(state, null, output) : [true, state];
    }
  }
}

function describe(input: EtcdInput, output: EtcdOutput | undefined): string {
  const quote = (value: string | null | undefined) => (value === null || value === undefined ? 'null' : JSON.stringify(value));
  const at = output?.index !== undefined ? ` @${output.index}` : '';
  const call = (() => {
    switch (input.op) {
      case 'read':
        return `read(${input.key})`;
      case 'write':
      case 'create':
        return `${input.op}(${input.key}, ${quote(input.value)})`;
      case 'cas':
        return `cas(${input.key}, ${quote(input.expected)} -> ${quote(input.value)})`;
      case 'delete':
        return `delete(${input.key})`;
      case 'cad':
        return `cad(${input.key}, ${quote(input.expected)})`;
    }
  })();
  if (!output) return `${call} -> ? (unknown outcome)`;
  switch (input.op) {
    case 'read':
      return `${call} -> ${quote(output.value)}${output.value === null || output.value === undefined ? '' : at}`;
    case 'write':
      return `${call} -> ok${at}`;
    case 'delete':
      return `${call} -> ${output.ok ? `existed${at}` : 'notFound'}`;
    default:
      return `${call} -> ${output.ok ? `ok${at}` : 'fail'}`;
  }
}

function partition(history: readonly Operation<EtcdInput, EtcdOutput>[]): Partition<EtcdInput, EtcdOutput>[] {
  const byKey = new Map<string, Operation<EtcdInput, EtcdOutput>[]>();
  for (const operation of history) {
    const list = byKey.get(operation.input.key);
    if (list) list.push(operation);
    else byKey.set(operation.input.key, [operation]);
  }
  return [...byKey].map(([key, operations]) => ({ key, operations }));
}

/** etcd v2's keys, each key a register checked on its own. */
export const etcdModel: Model<EtcdState, EtcdInput, EtcdOutput> = {
  init: () => ABSENT,
  step,
  partition,
  equal: (a, b) => a.value === b.value && a.index === b.index,
  describe,
  describeState: (state) => (state.value === null ? 'absent' : `${JSON.stringify(state.value)} @${state.index ?? '?'}`),
};
