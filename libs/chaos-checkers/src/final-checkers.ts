import { verdict, type Verdict } from './verdict.js';

/** A write-once key: written once with a unique value, never changed after. */
export interface OnceWrite {
  key: string;
  value: string;
  outcome: 'ok' | 'fail' | 'unknown';
}

/** One machine's final quorum reads: key -> value (null when absent), or why they failed. */
export interface FinalReads {
  machine: string;
  values?: ReadonlyMap<string, string | null>;
  error?: string;
}

/**
 * No acknowledged write is lost: after every fault healed, a quorum read through every machine
 * returns each acknowledged write-once key with its value; a write with an unknown outcome is
 * either there with its value or absent. Every machine must answer its final reads.
 */
export function checkAcknowledgedWrites(writes: readonly OnceWrite[], finals: readonly FinalReads[]): Verdict {
  const problems: string[] = [];
  for (const final of finals) {
    if (!final.values) {
      problems.push(`${final.machine}: the final reads failed: ${final.error ?? 'no answer'}`);
      continue;
    }
    const lost = writes.filter((write) => write.outcome === 'ok' && final.values?.get(write.key) !== write.value);
    const wrong = writes.filter((write) => write.outcome === 'unknown' && ![null, undefined, write.value].includes(final.values?.get(write.key)));
    if (lost.length > 0) problems.push(`${final.machine}: ${lost.length} acknowledged write(s) lost, e.g. ${lost.slice(0, 3).map((write) => `${write.key}=${write.value} reads ${JSON.stringify(final.values?.get(write.key) ?? null)}`).join('; ')}`);
    if (wrong.length > 0) problems.push(`${final.machine}: ${wrong.length} key(s) hold a value never written, e.g. ${wrong.slice(0, 3).map((write) => `${write.key}=${JSON.stringify(final.values?.get(write.key))}`).join('; ')}`);
  }
  const acked = writes.filter((write) => write.outcome === 'ok').length;
  const unknown = writes.filter((write) => write.outcome === 'unknown').length;
  return verdict('no acknowledged write is lost', problems, `${acked} acknowledged write-once keys (+${unknown} unknown) read back through ${finals.length} machines`);
}

/** After every fault healed, every machine's quorum reads of the registers agree. */
export function checkFinalAgreement(keys: readonly string[], finals: readonly FinalReads[]): Verdict {
  const problems: string[] = [];
  const answered = finals.filter((final) => final.values);
  const first = answered[0];
  for (const final of answered.slice(1)) {
    for (const key of keys) {
      const a = first?.values?.get(key) ?? null;
      const b = final.values?.get(key) ?? null;
      if (a !== b) problems.push(`${key}: ${first?.machine} reads ${JSON.stringify(a)}, ${final.machine} reads ${JSON.stringify(b)}`);
    }
  }
  for (const final of finals.filter((final) => !final.values)) problems.push(`${final.machine}: no final reads (${final.error ?? 'no answer'})`);
  return verdict('final reads agree on every machine', problems, `${keys.length} registers read through ${answered.length}/${finals.length} machines`);
}
