import { ErrorCode, StoreError } from './errors.js';
import { EventHistory, type HistoryImage } from './event-history.js';
import { StoreNode, loadNode, makeView, reprNode } from './node.js';
import { joinKey, keySegments, normalizeKey } from './path.js';
import { TtlHeap } from './ttl-heap.js';
import type {
  CreateInOrderCommand,
  DeleteCommand,
  ExpireCommand,
  GetOptions,
  NodeView,
  SetCommand,
  StoreAction,
  StoreCommand,
  StoreEvent,
  StoreOptions,
  StoreStats,
  WatchOptions,
  WriteCommand,
} from './types.js';
import { WatcherHub, type Watcher } from './watcher-hub.js';

// etcd treats expirations before 2000-01-01 as "no TTL" when creating or setting a node.
const MIN_EXPIRE_TIME = Date.UTC(2000, 0, 1);

const SNAPSHOT_VERSION = 1;

type Counter = Exclude<keyof StoreStats, 'watchers'>;

/** A node in a snapshot: `k` name, `v` value (files), `d` children (directories), `c`/`m` indexes, `e` expiration ms. */
interface NodeImage {
  k: string;
  c: number;
  m: number;
  e?: number;
  v?: string;
  d?: NodeImage[];
}

/** What `snapshot()` writes (as JSON). */
export interface SnapshotImage {
  version: number;
  index: number;
  root: NodeImage;
  history: HistoryImage;
}

/**
 * The deterministic state machine behind etcd's v2 keys API (etcd's `store` package): a tree of
 * keys and directories with TTLs, a store index that moves once per change, an event history and
 * watchers. It has no clock and does no I/O: every command carries the time it is applied at.
 */
export class V2Store {
  private readonly root: StoreNode = StoreNode.dir('/', 0, null, null);
  private currentIndex = 0;
  private readonly heap = new TtlHeap();
  private readonly hub: WatcherHub;
  private readonly counters: Record<Counter, number> = {
    getsSuccess: 0,
    getsFail: 0,
    setsSuccess: 0,
    setsFail: 0,
    deleteSuccess: 0,
    deleteFail: 0,
    updateSuccess: 0,
    updateFail: 0,
    createSuccess: 0,
    createFail: 0,
    compareAndSwapSuccess: 0,
    compareAndSwapFail: 0,
    compareAndDeleteSuccess: 0,
    compareAndDeleteFail: 0,
    expireCount: 0,
  };

  constructor(options: StoreOptions = {}) {
    this.hub = new WatcherHub(new EventHistory(options.historySize ?? 1000), options.watcherBufferSize ?? 1000);
  }

  /** etcd's X-Etcd-Index: moves by one per change (not the Raft index). */
  get index(): number {
    return this.currentIndex;
  }

  /**
   * Applies one committed command. A write returns its event; `expire` returns one event per
   * expired node (possibly none). On failure throws StoreError and changes nothing but the stats.
   * Matching watchers are notified before this returns (their promises settle later).
   */
  apply(command: ExpireCommand): StoreEvent[];
  apply(command: WriteCommand): StoreEvent;
  apply(command: StoreCommand): StoreEvent | StoreEvent[];
  apply(command: StoreCommand): StoreEvent | StoreEvent[] {
    switch (command.op) {
      case 'set':
        return this.put(command);
      case 'create-in-order':
        return this.createInOrder(command);
      case 'delete':
        return this.remove(command);
      case 'expire':
        return this.deleteExpired(command.now);
    }
  }

  /** A GET (also HEAD and a quorum read once it is ordered): the node and, for a directory, its children. */
  get(key: string, options: GetOptions): StoreEvent {
    try {
      const n = this.internalGet(normalizeKey(key));
      const event: StoreEvent = { action: 'get', node: loadNode(n, options.recursive, options.sorted, options.now) };
      this.counters.getsSuccess++;
      return event;
    } catch (err) {
      this.counters.getsFail++;
      throw err;
    }
  }

  /**
   * A GET with wait=true. With `sinceIndex` the first matching event at or after it comes from
   * history when there is one; otherwise the watcher waits for the next matching change.
   * Throws 401 when `sinceIndex` is older than the history.
   */
  watch(key: string, options: WatchOptions): Watcher {
    const since = options.sinceIndex !== undefined && options.sinceIndex > 0 ? options.sinceIndex : this.currentIndex + 1;
    return this.hub.watch(normalizeKey(key), options.recursive, options.stream, since, this.currentIndex);
  }

  /** The earliest expiration (ms) among nodes with a TTL: when the leader should propose `expire`. */
  nextExpiration(): number | null {
    return this.heap.top()?.expireTime ?? null;
  }

  /** etcd's /v2/stats/store counters. */
  stats(): StoreStats {
    return { ...this.counters, watchers: this.hub.count };
  }

  /**
   * The whole replicated state as JSON: the tree (with expirations), the store index and the event
   * history, so that watches with a waitIndex keep working on a member restored from it. Watchers
   * and stats are per-process and are not included.
   */
  snapshot(): string {
    const image: SnapshotImage = {
      version: SNAPSHOT_VERSION,
      index: this.currentIndex,
      root: encodeNode(this.root),
      history: this.hub.history.toImage(),
    };
    return JSON.stringify(image);
  }

  static restore(image: string, options: StoreOptions = {}): V2Store {
    const parsed = JSON.parse(image) as SnapshotImage;
    if (parsed.version !== SNAPSHOT_VERSION) throw new Error(`unsupported v2 store snapshot version ${String(parsed.version)}`);
    const store = new V2Store(options);
    store.currentIndex = parsed.index;
    for (const child of parsed.root.d ?? []) store.decodeInto(store.root, child);
    const historySize = options.historySize ?? 1000;
    store.hub.history = EventHistory.fromImage(parsed.history, historySize);
    return store;
  }

  private decodeInto(parent: StoreNode, image: NodeImage): void {
    const path = joinKey(parent.path, image.k);
    const expireTime = image.e ?? null;
    const node =
      image.d !== undefined
        ? new StoreNode(path, image.c, image.m, parent, expireTime, '', new Map())
        : new StoreNode(path, image.c, image.m, parent, expireTime, image.v ?? '', null);
    parent.children!.set(image.k, node);
    if (expireTime !== null) this.heap.push(node);
    for (const child of image.d ?? []) this.decodeInto(node, child);
  }

  // ---- commands ------------------------------------------------------------------------------

  /** etcd's applier for PUT: picks update, compare-and-swap, create or set. */
  private put(c: SetCommand): StoreEvent {
    const expireTime = c.ttl === null ? null : c.now + c.ttl * 1000;
    const prevValue = c.prevValue ?? '';
    const prevIndex = c.prevIndex ?? 0;
    if (c.prevExist !== undefined) {
      if (c.prevExist) {
        if (prevIndex === 0 && prevValue === '') return this.counted('update', () => this.update(c.key, c.value, expireTime, c.refresh, c.now));
        return this.counted('compareAndSwap', () => this.compareAndSwap(c.key, prevValue, prevIndex, c.value, expireTime, c.refresh, c.now));
      }
      return this.counted('create', () => this.create(c.key, c.dir, c.value, false, expireTime, c.now));
    }
    if (prevIndex > 0 || prevValue !== '') {
      return this.counted('compareAndSwap', () => this.compareAndSwap(c.key, prevValue, prevIndex, c.value, expireTime, c.refresh, c.now));
    }
    return this.counted('set', () => this.set(c.key, c.dir, c.value, expireTime, c.refresh, c.now));
  }

  private createInOrder(c: CreateInOrderCommand): StoreEvent {
    const expireTime = c.ttl === null ? null : c.now + c.ttl * 1000;
    return this.counted('create', () => this.create(c.dir, c.isDir ?? false, c.value, true, expireTime, c.now));
  }

  private remove(c: DeleteCommand): StoreEvent {
    const prevValue = c.prevValue ?? '';
    const prevIndex = c.prevIndex ?? 0;
    if (prevIndex > 0 || prevValue !== '') {
      return this.counted('compareAndDelete', () => this.compareAndDelete(c.key, prevValue, prevIndex, c.now));
    }
    return this.counted('delete', () => this.delete(c.key, c.dir, c.recursive, c.now));
  }

  private counted(op: 'set' | 'create' | 'update' | 'delete' | 'compareAndSwap' | 'compareAndDelete', run: () => StoreEvent): StoreEvent {
    const [ok, fail] = COUNTERS[op];
    try {
      const e = run();
      this.counters[ok]++;
      return e;
    } catch (err) {
      this.counters[fail]++;
      throw err;
    }
  }

  private set(key: string, dir: boolean, value: string, expireTime: number | null, refresh: boolean, now: number): StoreEvent {
    const path = normalizeKey(key);
    let prev: StoreNode | null = null;
    try {
      prev = this.internalGet(path);
    } catch (err) {
      if (!(err instanceof StoreError) || err.errorCode !== ErrorCode.KeyNotFound || refresh) throw err;
    }
    // A refresh keeps the value but, as in etcd, still replaces the node (new createdIndex).
    if (refresh && prev !== null) value = prev.value;
    const e = this.internalCreate(path, dir, value, true, expireTime, 'set', now);
    this.publish(e, refresh);
    return e;
  }

  private create(key: string, dir: boolean, value: string, unique: boolean, expireTime: number | null, now: number): StoreEvent {
    let path = key;
    if (unique) path = normalizeKey(key) + '/' + String(this.currentIndex + 1).padStart(20, '0');
    const e = this.internalCreate(normalizeKey(path), dir, value, false, expireTime, 'create', now);
    this.publish(e, false);
    return e;
  }

  private update(key: string, value: string, expireTime: number | null, refresh: boolean, now: number): StoreEvent {
    const path = normalizeKey(key);
    this.checkWritable(path);
    const n = this.internalGet(path);
    if (n.isDir && value.length !== 0) throw new StoreError(ErrorCode.NotFile, path, this.currentIndex);
    if (refresh) value = n.value;
    const nextIndex = this.currentIndex + 1;
    const prevNode = reprNode(n, false, false, now);
    // etcd 3.4 ignores the failed write on a directory: only its TTL changes, not its modifiedIndex.
    if (!n.isDir) {
      n.value = value;
      n.modifiedIndex = nextIndex;
    }
    this.updateTTL(n, expireTime);
    const node = makeView(path, n.isDir ? undefined : value, n.isDir, n.expireTime, now, undefined, nextIndex, n.createdIndex);
    this.currentIndex = nextIndex;
    const e: StoreEvent = { action: 'update', node, prevNode };
    this.publish(e, refresh);
    return e;
  }

  private compareAndSwap(
    key: string,
    prevValue: string,
    prevIndex: number,
    value: string,
    expireTime: number | null,
    refresh: boolean,
    now: number,
  ): StoreEvent {
    const path = normalizeKey(key);
    this.checkWritable(path);
    const n = this.internalGet(path);
    if (n.isDir) throw new StoreError(ErrorCode.NotFile, path, this.currentIndex);
    this.compare(n, prevValue, prevIndex);
    if (refresh) value = n.value;
    this.currentIndex++;
    const prevNode = reprNode(n, false, false, now);
    n.value = value;
    n.modifiedIndex = this.currentIndex;
    this.updateTTL(n, expireTime);
    const node = makeView(path, value, false, n.expireTime, now, undefined, this.currentIndex, n.createdIndex);
    const e: StoreEvent = { action: 'compareAndSwap', node, prevNode };
    this.publish(e, refresh);
    return e;
  }

  private delete(key: string, dir: boolean, recursive: boolean, now: number): StoreEvent {
    const path = normalizeKey(key);
    this.checkWritable(path);
    if (recursive) dir = true;
    const n = this.internalGet(path);
    const nextIndex = this.currentIndex + 1;
    const node = makeView(path, undefined, n.isDir, null, now, undefined, nextIndex, n.createdIndex);
    const e: StoreEvent = { action: 'delete', node, prevNode: reprNode(n, false, false, now) };
    this.removeNode(n, dir, recursive, e);
    this.currentIndex = nextIndex;
    this.hub.notify(e);
    return e;
  }

  private compareAndDelete(key: string, prevValue: string, prevIndex: number, now: number): StoreEvent {
    const path = normalizeKey(key);
    const n = this.internalGet(path);
    // etcd's keys live under "/1", which its HTTP layer trims from causes: the root's cause is empty.
    if (n.isDir) throw new StoreError(ErrorCode.NotFile, path === '/' ? '' : path, this.currentIndex);
    this.compare(n, prevValue, prevIndex);
    this.currentIndex++;
    const node = makeView(path, undefined, false, null, now, undefined, this.currentIndex, n.createdIndex);
    const e: StoreEvent = { action: 'compareAndDelete', node, prevNode: reprNode(n, false, false, now) };
    this.removeNode(n, false, false, e);
    this.hub.notify(e);
    return e;
  }

  /** etcd's DeleteExpiredKeys: every node expiring at or before `now`, earliest first. */
  private deleteExpired(now: number): StoreEvent[] {
    const events: StoreEvent[] = [];
    for (;;) {
      const n = this.heap.top();
      if (n === undefined || n.expireTime === null || n.expireTime > now) break;
      this.currentIndex++;
      const node = makeView(n.path, undefined, n.isDir, null, now, undefined, this.currentIndex, n.createdIndex);
      const e: StoreEvent = { action: 'expire', node, prevNode: reprNode(n, false, false, now) };
      this.heap.pop();
      this.removeNode(n, true, true, e);
      this.counters.expireCount++;
      this.hub.notify(e);
      events.push(e);
    }
    return events;
  }

  // ---- internals -----------------------------------------------------------------------------

  private publish(e: StoreEvent, refresh: boolean): void {
    if (refresh) this.hub.add(e);
    else this.hub.notify(e);
  }

  private checkWritable(path: string): void {
    if (path === '/') throw new StoreError(ErrorCode.RootReadOnly, '/', this.currentIndex);
  }

  private compare(n: StoreNode, prevValue: string, prevIndex: number): void {
    const indexMatch = prevIndex === 0 || n.modifiedIndex === prevIndex;
    const valueMatch = prevValue === '' || n.value === prevValue;
    if (indexMatch && valueMatch) return;
    const cause = !valueMatch && !indexMatch
      ? `[${prevValue} != ${n.value}] [${prevIndex} != ${n.modifiedIndex}]`
      : !valueMatch
        ? `[${prevValue} != ${n.value}]`
        : `[${prevIndex} != ${n.modifiedIndex}]`;
    throw new StoreError(ErrorCode.TestFailed, cause, this.currentIndex);
  }

  /** Finds a node by normalized path: 100 when missing, 104 when a file is in the way. */
  private internalGet(path: string): StoreNode {
    let n = this.root;
    if (path === '/') return n;
    let start = 1;
    for (;;) {
      const slash = path.indexOf('/', start);
      const name = slash === -1 ? path.slice(start) : path.slice(start, slash);
      if (n.children === null) throw new StoreError(ErrorCode.NotDir, n.path, this.currentIndex);
      const child = n.children.get(name);
      if (child === undefined) throw new StoreError(ErrorCode.KeyNotFound, joinKey(n.path, name), this.currentIndex);
      n = child;
      if (slash === -1) return n;
      start = slash + 1;
    }
  }

  /**
   * etcd's internalCreate: creates missing parent directories, then the node; `replace` lets it
   * replace an existing file (never a directory). The caller publishes the event.
   */
  private internalCreate(
    path: string,
    dir: boolean,
    value: string,
    replace: boolean,
    expireTime: number | null,
    action: StoreAction,
    now: number,
  ): StoreEvent {
    const currIndex = this.currentIndex;
    const nextIndex = currIndex + 1;
    if (path === '/') throw new StoreError(ErrorCode.RootReadOnly, '/', currIndex);
    if (expireTime !== null && expireTime < MIN_EXPIRE_TIME) expireTime = null;

    const segments = keySegments(path);
    const nodeName = segments.pop()!;
    let d = this.root;
    for (const name of segments) {
      const existing = d.children!.get(name);
      if (existing === undefined) {
        const created = StoreNode.dir(joinKey(d.path, name), nextIndex, d, null);
        d.children!.set(name, created);
        d = created;
      } else if (existing.isDir) {
        d = existing;
      } else {
        this.counters.setsFail++; // etcd counts this failure as a failed set whatever the action
        throw new StoreError(ErrorCode.NotDir, existing.path, currIndex);
      }
    }

    let prevNode: NodeView | undefined;
    const existing = d.children!.get(nodeName);
    if (existing !== undefined) {
      if (!replace) throw new StoreError(ErrorCode.NodeExist, path, currIndex);
      if (existing.isDir) throw new StoreError(ErrorCode.NotFile, path, currIndex);
      prevNode = reprNode(existing, false, false, now);
      this.removeNode(existing, false, false, null);
    }

    const n = dir ? StoreNode.dir(path, nextIndex, d, expireTime) : StoreNode.file(path, nextIndex, d, expireTime, value);
    d.children!.set(nodeName, n);
    if (expireTime !== null) this.heap.push(n);
    this.currentIndex = nextIndex;

    const node = makeView(path, dir ? undefined : value, dir, expireTime, now, undefined, nextIndex, nextIndex);
    return prevNode === undefined ? { action, node } : { action, node, prevNode };
  }

  /**
   * etcd's node.Remove. Checks happen before anything is removed, so a failure changes nothing.
   * Watchers on every removed node are told (with `event`) as the node goes.
   */
  private removeNode(n: StoreNode, dir: boolean, recursive: boolean, event: StoreEvent | null): void {
    if (n.children !== null) {
      if (!dir) throw new StoreError(ErrorCode.NotFile, n.path, this.currentIndex);
      if (n.children.size !== 0 && !recursive) throw new StoreError(ErrorCode.DirNotEmpty, n.path, this.currentIndex);
      for (const child of n.children.values()) this.removeNode(child, true, true, event);
    }
    const parent = n.parent;
    if (parent === null) return;
    const name = n.name;
    if (parent.children!.get(name) !== n) return;
    parent.children!.delete(name);
    if (event !== null && this.hub.hasWatchers) this.hub.notifyWatchers(event, n.path, true);
    if (n.expireTime !== null) this.heap.remove(n);
  }

  /** etcd's node.UpdateTTL: a null expiration makes the node permanent. */
  private updateTTL(n: StoreNode, expireTime: number | null): void {
    if (n.expireTime !== null) {
      n.expireTime = expireTime;
      if (expireTime === null) this.heap.remove(n);
      else this.heap.update(n);
      return;
    }
    if (expireTime === null) return;
    n.expireTime = expireTime;
    this.heap.push(n);
  }
}

const COUNTERS: Record<'set' | 'create' | 'update' | 'delete' | 'compareAndSwap' | 'compareAndDelete', [Counter, Counter]> = {
  set: ['setsSuccess', 'setsFail'],
  create: ['createSuccess', 'createFail'],
  update: ['updateSuccess', 'updateFail'],
  delete: ['deleteSuccess', 'deleteFail'],
  compareAndSwap: ['compareAndSwapSuccess', 'compareAndSwapFail'],
  compareAndDelete: ['compareAndDeleteSuccess', 'compareAndDeleteFail'],
};

function encodeNode(n: StoreNode): NodeImage {
  const image: NodeImage = { k: n.name, c: n.createdIndex, m: n.modifiedIndex };
  if (n.expireTime !== null) image.e = n.expireTime;
  if (n.children === null) image.v = n.value;
  else image.d = Array.from(n.children.values(), encodeNode);
  return image;
}
