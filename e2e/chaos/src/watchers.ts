import type { WatcherLog, WatchItem } from '@minicore/chaos-checkers';
import type { ClusterMachine } from './cluster.js';
import { now, sleep } from './clock.js';

const DELETED = new Set(['delete', 'compareAndDelete', 'expire']);

interface WatchBody {
  action?: string;
  node?: { key: string; value?: string; modifiedIndex: number };
  errorCode?: number;
  index?: number;
}

/**
 * One watcher: long polls `GET /v2/keys/<prefix>?wait=true&recursive=true&waitIndex=N` on one
 * machine, always asking for the index after the last change it got (as `etcdctl watch --forever`
 * and our kv-client's watchForever do). On 401 (event history cleared) it resyncs as documented:
 * a quorum read of the prefix, then resumes after that read's X-Etcd-Index. Transport errors and
 * timeouts are retried on the same machine with the same waitIndex: a machine that is down or cut
 * off only delays its watcher.
 */
export class Watcher {
  readonly items: WatchItem[] = [];
  private last: number;
  private running = true;
  private loop: Promise<void> = Promise.resolve();
  private abort = new AbortController();
  errors = 0;

  constructor(
    readonly id: string,
    readonly machine: ClusterMachine,
    readonly prefix: string,
    private readonly afterIndex: number,
    /** A pause after each event: a slow consumer that falls more than 1000 events behind and must resync (401). */
    private lagMs = 0,
  ) {
    this.last = afterIndex;
  }

  get lastIndex(): number {
    return this.last;
  }

  start(): void {
    this.loop = this.run();
  }

  /** No more pauses: the run is ending and the watcher must catch up with the sentinel. */
  hurry(): void {
    this.lagMs = 0;
  }

  async stop(): Promise<WatcherLog & { errors: number }> {
    this.running = false;
    this.abort.abort();
    await this.loop;
    return { id: this.id, prefix: `/${this.prefix}`, machine: this.machine.name, afterIndex: this.afterIndex, items: this.items, throughIndex: this.last, sawSentinel: false, errors: this.errors };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const waitIndex = this.last + 1;
      let response: Response;
      let body: WatchBody;
      try {
        // A poll ends by itself after a while so that a connection lost to a halted machine is noticed.
        const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(15_000)]);
        response = await fetch(`${this.machine.kvUrl}/v2/keys/${this.prefix}?wait=true&recursive=true&waitIndex=${waitIndex}`, { signal });
        const text = await response.text();
        if (text.trim() === '') {
          // etcd ends an idle long poll with an empty answer: ask again.
          await sleep(50);
          continue;
        }
        body = JSON.parse(text) as WatchBody;
      } catch {
        if (!this.running) return;
        this.errors += 1;
        await sleep(200);
        continue;
      }
      if (body.errorCode === 401) {
        await this.resync(waitIndex);
        continue;
      }
      if (!response.ok || !body.action || !body.node) {
        this.errors += 1;
        await sleep(200);
        continue;
      }
      const index = body.node.modifiedIndex;
      this.items.push({ kind: 'event', event: { index, key: body.node.key, action: body.action, value: DELETED.has(body.action) ? null : (body.node.value ?? null), atMs: now() } });
      this.last = Math.max(this.last, index);
      if (this.lagMs > 0) await sleep(this.lagMs);
    }
  }

  /** After a 401: read the prefix (quorum) and resume after the index that read saw. */
  private async resync(missedFrom: number): Promise<void> {
    while (this.running) {
      try {
        const response = await fetch(`${this.machine.kvUrl}/v2/keys/${this.prefix}?recursive=true&quorum=true`, { signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(5_000)]) });
        await response.text();
        const header = Number(response.headers.get('x-etcd-index'));
        if ((response.ok || response.status === 404) && Number.isFinite(header) && header > 0) {
          this.items.push({ kind: 'resync', missedFrom, resumeAfter: header, atMs: now() });
          this.last = Math.max(this.last, header);
          return;
        }
      } catch {
        // retried below
      }
      this.errors += 1;
      await sleep(200);
    }
  }
}
