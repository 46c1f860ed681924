import type { ContainerEvent, ContainerInfo, ContainerInspectInfo, DockerEngine } from '@minicore/docker-engine';
import { EngineNotFoundError } from '@minicore/docker-engine';
import { EtcdErrorCode, isKvError, Lease, minicoreKeys, type KvClient } from '@minicore/kv-client';
import type { Logger } from '@minicore/log';
import type { AnnouncementView, ServiceEndpoint } from '../api/index.js';
import { parseAnnounceLabel, type AnnounceSpec } from '../spec/index.js';
import { RunnerLabel } from '@minicore/runner-labels';
import { readyToAnnounce, serviceEndpoint } from './service-endpoint.js';

export interface AnnouncerOptions {
  engine: DockerEngine;
  kv: KvClient;
  machineId: string;
  /** Seconds an announcement outlives its last refresh (a dead runnerd's keys vanish after it). */
  ttlSeconds: number;
  /** The address other machines reach this machine's published ports at. */
  advertiseHost: string;
  logger: Logger;
}

interface Announcement {
  spec: AnnounceSpec;
  key: string;
  lease: Lease | undefined;
  state: AnnouncementView['state'];
  value: ServiceEndpoint | null;
  lastError: string | null;
  /** Whether a key left by an earlier runnerd has been looked for (once per container). */
  staleChecked: boolean;
}

interface Entry {
  id: string;
  name: string;
  announcements: Announcement[];
  /** One sync at a time per container: events come faster than kv answers. */
  queue: Promise<void>;
  retry: NodeJS.Timeout | undefined;
}

/** Events after which a container's announcements may have to change. */
const relevant = new Set<ContainerEvent['action']>(['start', 'die', 'stop', 'destroy', 'health_status']);

/**
 * Keeps `/services/<service>/<machine-id>` in kv for each `--announce` of this machine's containers
 * while the container runs (and passes its health check, if it has one), with a TTL refreshed by a
 * Lease; removes the key when the container stops. Every change is driven by the engine's events
 * (through the supervisor) and checked against the container's inspect, so a sync is idempotent.
 *
 * When runnerd stops, its keys are left to expire: the containers keep running and the next
 * runnerd takes the keys over; if none comes, the TTL removes them.
 */
export class Announcer {
  readonly #options: AnnouncerOptions;
  readonly #entries = new Map<string, Entry>();
  #stopped = false;

  constructor(options: AnnouncerOptions) {
    this.#options = options;
  }

  /** From the supervisor's event stream. */
  handle(event: ContainerEvent): void {
    if (!relevant.has(event.action)) return;
    if (!this.#entries.has(event.id) && !event.labels[RunnerLabel.announce]) return;
    this.sync(event.id, event.name, event.labels);
  }

  /** After the supervisor (re)listed this machine's containers: catch up with whatever was missed. */
  reconcile(containers: readonly ContainerInfo[]): void {
    const present = new Set(containers.map((container) => container.Id));
    for (const container of containers) {
      if (container.Labels?.[RunnerLabel.announce]) this.sync(container.Id, (container.Names[0] ?? '').replace(/^\//, ''), container.Labels);
    }
    for (const id of this.#entries.keys()) if (!present.has(id)) this.sync(id);
  }

  /** Brings one container's keys in line with its state (queued behind the previous sync). */
  sync(id: string, name?: string, labels?: Record<string, string>): void {
    if (this.#stopped) return;
    let entry = this.#entries.get(id);
    if (!entry) {
      const specs = parseAnnounceLabel(labels?.[RunnerLabel.announce]);
      if (specs.length === 0 || name === undefined) return;
      entry = {
        id,
        name,
        announcements: specs.map((spec) => ({ spec, key: minicoreKeys.service(spec.service, this.#options.machineId), lease: undefined, state: 'waiting', value: null, lastError: null, staleChecked: false })),
        queue: Promise.resolve(),
        retry: undefined,
      };
      this.#entries.set(id, entry);
    }
    const target = entry;
    clearTimeout(target.retry);
    target.retry = undefined;
    target.queue = target.queue.then(() => this.#sync(target)).catch((error: unknown) => this.#options.logger.warn({ err: error, container: target.name }, 'announcement sync failed'));
  }

  list(): AnnouncementView[] {
    return [...this.#entries.values()].flatMap((entry) =>
      entry.announcements.map((a) => ({ key: a.key, service: a.spec.service, container: entry.name, state: a.state, value: a.value, lastError: a.lastError })),
    );
  }

  /** Stops refreshing without removing the keys (see the class comment). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const entry of this.#entries.values()) clearTimeout(entry.retry);
    await Promise.all([...this.#entries.values()].map((entry) => entry.queue));
    const leases = [...this.#entries.values()].flatMap((entry) => entry.announcements.flatMap((a) => (a.lease ? [a.lease] : [])));
    await Promise.all(leases.map((lease) => lease.stop({ remove: false }).catch(() => undefined)));
  }

  async #sync(entry: Entry): Promise<void> {
    if (this.#stopped) return;
    const { engine, logger } = this.#options;
    let info: ContainerInspectInfo | undefined;
    try {
      info = await engine.inspectContainer(entry.id);
    } catch (error) {
      if (!(error instanceof EngineNotFoundError)) throw error;
    }
    const ready = info !== undefined && readyToAnnounce(info);
    let failed = false;
    for (const announcement of entry.announcements) {
      if (ready) failed = !(await this.#announce(entry, announcement, info!)) || failed;
      else await this.#withdraw(entry, announcement);
    }
    if (info === undefined) {
      this.#entries.delete(entry.id);
      logger.debug({ container: entry.name }, 'container gone: announcements dropped');
      return;
    }
    if (failed && !this.#stopped) {
      // kv refused or is unreachable: try again well within the TTL, until it works or the container stops.
      entry.retry = setTimeout(() => this.sync(entry.id), Math.min(2000, (this.#options.ttlSeconds * 1000) / 2));
    }
  }

  /** Sets (or keeps) the key; false when kv did not take it. */
  async #announce(entry: Entry, announcement: Announcement, info: ContainerInspectInfo): Promise<boolean> {
    const { kv, ttlSeconds, advertiseHost, logger } = this.#options;
    const value: ServiceEndpoint = { ...serviceEndpoint(info, announcement.spec, advertiseHost), container: entry.name };
    const text = JSON.stringify(value);
    if (announcement.lease && !announcement.lease.isLost && announcement.lease.value === text) return true;
    if (announcement.lease) {
      // Lost, or the endpoint moved (a new published port after a restart): write it again.
      await announcement.lease.stop({ remove: false }).catch(() => undefined);
      announcement.lease = undefined;
    }
    try {
      const lease = await Lease.set(kv, announcement.key, text, {
        ttl: ttlSeconds,
        onRefreshError: (error) => logger.warn({ err: error, key: announcement.key }, 'announcement refresh failed; retrying before the TTL runs out'),
      });
      announcement.lease = lease;
      announcement.state = 'announced';
      announcement.value = value;
      announcement.lastError = null;
      void lease.lost.then((reason) => {
        if (announcement.lease !== lease || this.#stopped) return;
        announcement.state = 'retrying';
        announcement.lastError = reason.message;
        logger.warn({ key: announcement.key, container: entry.name }, 'announcement lost (expired or removed); announcing again');
        this.sync(entry.id);
      });
      logger.info({ key: announcement.key, value, ttl: ttlSeconds }, 'announced');
      return true;
    } catch (error) {
      announcement.state = 'retrying';
      announcement.lastError = (error as Error).message;
      logger.warn({ err: error, key: announcement.key }, 'cannot announce; retrying');
      return false;
    }
  }

  async #withdraw(entry: Entry, announcement: Announcement): Promise<void> {
    const { kv, logger } = this.#options;
    const lease = announcement.lease;
    announcement.lease = undefined;
    announcement.state = 'waiting';
    announcement.value = null;
    if (lease) {
      try {
        await lease.stop();
        logger.info({ key: announcement.key, container: entry.name }, 'announcement removed');
      } catch (error) {
        // kv unreachable: the key expires with its TTL.
        announcement.lastError = (error as Error).message;
      }
      announcement.staleChecked = true;
      return;
    }
    if (announcement.staleChecked) return;
    announcement.staleChecked = true;
    // No lease of ours: a key a previous runnerd left for this container (it stopped while
    // runnerd was down) is removed now rather than after its TTL, if it is still this container's.
    try {
      const current = await kv.get(announcement.key);
      const holder = (JSON.parse(current.node.value ?? '{}') as Partial<ServiceEndpoint>).container;
      if (holder === entry.name) await kv.delete(announcement.key, { prevIndex: current.node.modifiedIndex });
    } catch (error) {
      if (!isKvError(error, EtcdErrorCode.keyNotFound) && !isKvError(error, EtcdErrorCode.testFailed) && !(error instanceof SyntaxError)) announcement.lastError = (error as Error).message;
    }
  }
}
