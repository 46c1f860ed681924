/**
 * The last indexes of the appends sent to one follower and not yet acknowledged, oldest first.
 * Bounding them is the pipelining window: a leader in replicate state streams appends without
 * waiting for replies until the window is full.
 */
export class Inflights {
  private readonly items: number[] = [];

  constructor(readonly capacity: number) {}

  add(lastIndex: number): void {
    if (this.full()) throw new Error('raft invariant broken: inflights window overflow');
    this.items.push(lastIndex);
  }

  /** Acknowledges every append whose last index is <= `index`. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.items.length && (this.items[n] ?? Infinity) <= index) n++;
    if (n > 0) this.items.splice(0, n);
  }

  /** Frees one slot: a heartbeat reply proves the follower is alive, so let one more append go. */
  freeFirstOne(): void {
    this.items.shift();
  }

  full(): boolean {
    return this.items.length >= this.capacity;
  }

  count(): number {
    return this.items.length;
  }

  reset(): void {
    this.items.length = 0;
  }
}
