import { ErrorCode, StoreError } from './errors.js';
import type { StoreEvent } from './types.js';

/** The JSON form of the history inside a snapshot: oldest first. */
export interface HistoryImage {
  events: StoreEvent[];
  /** Positions (in `events`) of refresh events, which watchers never see. */
  refresh: number[];
  startIndex: number;
  lastIndex: number;
}

/**
 * The last `capacity` events in a ring buffer (etcd's EventHistory), for watches that start at an
 * older index. Every store index has exactly one event, so an index maps to a slot by subtraction.
 */
export class EventHistory {
  private readonly events: (StoreEvent | undefined)[];
  private readonly refresh: Uint8Array;
  private front = 0;
  private back = 0;
  private size = 0;
  /** Index of the oldest event held (0 while empty). */
  startIndex = 0;
  /** Index of the newest event held. */
  lastIndex = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`history size must be a positive integer, got ${capacity}`);
    this.events = new Array<StoreEvent | undefined>(capacity);
    this.refresh = new Uint8Array(capacity);
  }

  add(e: StoreEvent, refresh: boolean): void {
    this.events[this.back] = e;
    this.refresh[this.back] = refresh ? 1 : 0;
    this.back = (this.back + 1) % this.capacity;
    if (this.size === this.capacity) this.front = (this.front + 1) % this.capacity;
    else this.size++;
    this.lastIndex = e.node.modifiedIndex ?? 0;
    this.startIndex = this.events[this.front]!.node.modifiedIndex ?? 0;
  }

  /**
   * The first event at or after `index` that a watcher on `key` would see, or null if there is none
   * yet. Throws 401 (carrying `storeIndex`) when `index` is older than the history.
   */
  scan(key: string, recursive: boolean, index: number, storeIndex: number): StoreEvent | null {
    if (index < this.startIndex) {
      throw new StoreError(ErrorCode.EventIndexCleared, `the requested history has been cleared [${this.startIndex}/${index}]`, storeIndex);
    }
    if (index > this.lastIndex) return null;
    const prefix = key.endsWith('/') ? key : key + '/';
    let i = (this.front + (index - this.startIndex)) % this.capacity;
    for (;;) {
      const e = this.events[i]!;
      if (this.refresh[i] === 0) {
        const nodeKey = e.node.key ?? '/';
        let ok = nodeKey === key || (recursive && nodeKey.startsWith(prefix));
        // A deleted or expired directory takes everything below it (etcd compares raw prefixes).
        if (!ok && (e.action === 'delete' || e.action === 'expire') && e.prevNode?.dir === true) {
          ok = key.startsWith(e.prevNode.key ?? '/');
        }
        if (ok) return e;
      }
      i = (i + 1) % this.capacity;
      if (i === this.back) return null;
    }
  }

  toImage(): HistoryImage {
    const events: StoreEvent[] = [];
    const refresh: number[] = [];
    for (let k = 0; k < this.size; k++) {
      const i = (this.front + k) % this.capacity;
      if (this.refresh[i] === 1) refresh.push(k);
      events.push(this.events[i]!);
    }
    return { events, refresh, startIndex: this.startIndex, lastIndex: this.lastIndex };
  }

  static fromImage(image: HistoryImage, capacity: number): EventHistory {
    const h = new EventHistory(capacity);
    const refresh = new Set(image.refresh);
    const skip = Math.max(0, image.events.length - capacity);
    image.events.forEach((e, k) => {
      if (k >= skip) h.add(e, refresh.has(k));
    });
    if (h.size === 0) {
      h.startIndex = image.startIndex;
      h.lastIndex = image.lastIndex;
    }
    return h;
  }
}
