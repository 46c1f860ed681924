import { WatcherClosedError } from './errors.js';
import type { EventHistory } from './event-history.js';
import { isHiddenBelow } from './path.js';
import type { StoreEvent } from './types.js';

/**
 * A wait on a key (etcd's watcher). A plain watcher delivers one event; a stream watcher delivers
 * every matching event until cancelled. Always `cancel()` a watcher you stop reading, so that the
 * hub forgets it.
 */
export interface Watcher {
  /**
   * Resolves with the next event (at once when one is queued). Rejects with WatcherClosedError once
   * nothing more can come: after `cancel()`, after a plain watcher's event was taken, or after a
   * stream watcher fell `watcherBufferSize` events behind (etcd drops such watchers too).
   * Only one call may be pending at a time.
   */
  next(): Promise<StoreEvent>;
  /** The next queued event without waiting, if any. */
  tryNext(): StoreEvent | undefined;
  cancel(): void;
  /** True once the watcher is no longer in the hub (it may still hold queued events). */
  readonly removed: boolean;
  /** The store index when the watch began: etcd's X-Etcd-Index header of a watch response. */
  readonly startIndex: number;
  readonly key: string;
  readonly recursive: boolean;
  readonly stream: boolean;
}

type CloseReason = WatcherClosedError['reason'];

class HubWatcher implements Watcher {
  removed = false;
  private queue: StoreEvent[] = [];
  private head = 0;
  private waiter: { resolve: (e: StoreEvent) => void; reject: (err: Error) => void } | null = null;
  private closed: CloseReason | null = null;
  /** Unlinks the watcher from the hub; set when it is registered. */
  unlink: (() => void) | null = null;

  constructor(
    readonly key: string,
    readonly recursive: boolean,
    readonly stream: boolean,
    readonly sinceIndex: number,
    readonly startIndex: number,
    private readonly bufferSize: number,
  ) {}

  next(): Promise<StoreEvent> {
    const e = this.tryNext();
    if (e !== undefined) return Promise.resolve(e);
    if (this.closed !== null) return Promise.reject(new WatcherClosedError(this.closed));
    if (this.waiter !== null) return Promise.reject(new Error('Watcher.next() is already pending'));
    return new Promise<StoreEvent>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  tryNext(): StoreEvent | undefined {
    if (this.head >= this.queue.length) return undefined;
    const e = this.queue[this.head]!;
    this.queue[this.head++] = undefined as unknown as StoreEvent;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return e;
  }

  cancel(): void {
    this.queue = [];
    this.head = 0;
    this.close('cancelled');
    this.unlink?.();
  }

  /**
   * etcd's watcher.notify: interested when the event is at the watched key, below it for a
   * recursive watcher, or deletes it (`deleted`), and not older than `sinceIndex`.
   */
  notify(e: StoreEvent, originalPath: boolean, deleted: boolean): boolean {
    if (!(this.recursive || originalPath || deleted) || (e.node.modifiedIndex ?? 0) < this.sinceIndex) return false;
    this.deliver(e);
    return true;
  }

  deliver(e: StoreEvent): void {
    if (this.closed !== null) return;
    if (this.waiter !== null) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve(e);
    } else if (this.queue.length - this.head >= this.bufferSize) {
      this.close('overflow');
      this.unlink?.();
      return;
    } else {
      this.queue.push(e);
    }
    if (!this.stream) this.close('delivered');
  }

  private close(reason: CloseReason): void {
    if (this.closed !== null) return;
    this.closed = reason;
    if (this.waiter !== null) {
      const { reject } = this.waiter;
      this.waiter = null;
      reject(new WatcherClosedError(reason));
    }
  }
}

/** Registered watchers by key (etcd's watcherHub), plus the event history they start from. */
export class WatcherHub {
  private readonly watchers = new Map<string, Set<HubWatcher>>();
  /** Number of registered watchers (etcd's `watchers` stat). */
  count = 0;

  constructor(
    public history: EventHistory,
    private readonly bufferSize: number,
  ) {}

  /**
   * Starts a watch at `sinceIndex`. When history already holds a matching event the watcher gets
   * that one event and is not registered (as in etcd, even for a stream). Throws 401 when
   * `sinceIndex` is older than the history.
   */
  watch(key: string, recursive: boolean, stream: boolean, sinceIndex: number, storeIndex: number): Watcher {
    const past = this.history.scan(key, recursive, sinceIndex, storeIndex);
    const w = new HubWatcher(key, recursive, stream, sinceIndex, storeIndex, this.bufferSize);
    if (past !== null) {
      w.removed = true;
      w.deliver(past);
      return w;
    }
    let set = this.watchers.get(key);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(key, set);
    }
    set.add(w);
    this.count++;
    const list = set;
    w.unlink = () => {
      if (w.removed) return;
      w.removed = true;
      list.delete(w);
      this.count--;
      if (list.size === 0 && this.watchers.get(key) === list) this.watchers.delete(key);
    };
    return w;
  }

  /** Records an event that watchers must not see (a TTL refresh). */
  add(e: StoreEvent): void {
    this.history.add(e, true);
  }

  /** Records an event and notifies the watchers on its key and on every ancestor. */
  notify(e: StoreEvent): void {
    this.history.add(e, false);
    if (this.watchers.size === 0) return;
    const key = e.node.key ?? '/';
    this.notifyWatchers(e, '/', false);
    for (let i = 1; i < key.length; i++) {
      if (key.charCodeAt(i) === 47 /* / */) this.notifyWatchers(e, key.slice(0, i), false);
    }
    if (key.length > 1) this.notifyWatchers(e, key, false);
  }

  /** Notifies the watchers on exactly `nodePath`; `deleted` when that node is being removed. */
  notifyWatchers(e: StoreEvent, nodePath: string, deleted: boolean): void {
    const set = this.watchers.get(nodePath);
    if (set === undefined) return;
    const key = e.node.key ?? '/';
    for (const w of set) {
      const originalPath = key === nodePath;
      if ((originalPath || !isHiddenBelow(nodePath, key)) && w.notify(e, originalPath, deleted) && !w.stream) {
        w.unlink?.();
      }
    }
  }

  get hasWatchers(): boolean {
    return this.watchers.size !== 0;
  }
}
