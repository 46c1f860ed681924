import { Prng } from '@minicore/seeded-random';

/**
 * The shared seeded generator plus what fuzz inputs need, so that a fuzz run is replayable from its
 * seed alone: the same seed, daemon and case index always give the same request.
 */
export class FuzzPrng extends Prng {
  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(0, 255);
    return out;
  }

  /** Printable ASCII without space (safe inside a request line). */
  token(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += String.fromCharCode(this.int(33, 126));
    return out;
  }
}

/** One seed per (run seed, daemon, case index): a case can be replayed without the ones before it. */
export function caseSeed(seed: number, daemon: string, index: number): number {
  let h = 2166136261 ^ seed;
  for (const c of `${daemon}#${index}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}
