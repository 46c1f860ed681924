/** A fixed-size set of operation indices: which operations a partial linearization holds. */
export class Bitset {
  private constructor(private readonly words: Uint32Array) {}

  static ofSize(size: number): Bitset {
    return new Bitset(new Uint32Array(Math.ceil(size / 32) || 1));
  }

  set(index: number): this {
    this.words[index >>> 5] = (this.words[index >>> 5] ?? 0) | (1 << (index & 31));
    return this;
  }

  clear(index: number): this {
    this.words[index >>> 5] = (this.words[index >>> 5] ?? 0) & ~(1 << (index & 31));
    return this;
  }

  has(index: number): boolean {
    return ((this.words[index >>> 5] ?? 0) & (1 << (index & 31))) !== 0;
  }

  clone(): Bitset {
    return new Bitset(this.words.slice());
  }

  equals(other: Bitset): boolean {
    if (other.words.length !== this.words.length) return false;
    for (let i = 0; i < this.words.length; i++) if (this.words[i] !== other.words[i]) return false;
    return true;
  }

  /** FNV-1a over the words: the memo table's bucket. */
  hash(): number {
    let hash = 0x811c9dc5;
    for (const word of this.words) {
      hash = Math.imul(hash ^ (word & 0xffff), 0x01000193);
      hash = Math.imul(hash ^ (word >>> 16), 0x01000193);
    }
    return hash >>> 0;
  }

  count(): number {
    let count = 0;
    for (let word of this.words) {
      while (word !== 0) {
        word &= word - 1;
        count += 1;
      }
    }
    return count;
  }
}
